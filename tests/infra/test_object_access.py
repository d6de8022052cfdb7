"""Who may do what with the recordings bucket: every object grant stays under ``tenants/``, and listing or
deleting is granted only where the code does it (GDPR erasure in the admin API; the worker's recording
segments, once assembled)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from media_worker.runtime.transcript_store import text_key
from media_worker.runtime.uploader import manifest_key, segment_key, segments_prefix
from switchboard.gdpr import call_object_prefix, recording_key, transcript_key

from .conftest import Synth
from .iam_grants import BUCKET, Grant, bucket_id, grants, role_names, s3_grants_by_runtime

TENANT_OBJECTS = f"{BUCKET}/tenants/*"
TENANTS_PREFIX = {"StringLike": {"s3:prefix": "tenants/*"}}
RECORDING_SCRATCH = "tenants/*/calls/*/recording/*"
NO_CONDITION = "{}"


def _condition(condition: dict[str, Any]) -> str:
    return json.dumps(condition, sort_keys=True)


def _lists_or_deletes(action: str) -> bool:
    verb = action.split(":", 1)[-1]
    return verb.startswith(("List", "Delete")) or "*" in verb


LISTING_AND_DELETES: dict[str, set[Grant]] = {
    # GDPR erasure (switchboard.gdpr.delete_call): list_object_versions + delete_objects with VersionId
    "admin_api": {
        ("s3:ListBucket", BUCKET, _condition(TENANTS_PREFIX)),
        ("s3:ListBucketVersions", BUCKET, _condition(TENANTS_PREFIX)),
        ("s3:DeleteObject", TENANT_OBJECTS, NO_CONDITION),
        ("s3:DeleteObjectVersion", TENANT_OBJECTS, NO_CONDITION),
    },
    # media_worker/runtime/uploader.py assemble(): list_objects_v2 of the segments, delete_objects of the
    # segments and manifest (no VersionId: delete markers; the lifecycle removes the old versions)
    "worker": {
        ("s3:ListBucket", BUCKET, _condition({"StringLike": {"s3:prefix": RECORDING_SCRATCH}})),
        ("s3:DeleteObject", f"{BUCKET}/{RECORDING_SCRATCH}", NO_CONDITION),
    },
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_erasure_lists_or_deletes_and_only_under_tenants(stage: str, request: pytest.FixtureRequest) -> None:
    # given every IAM policy of the stack / then listing and deleting objects is exactly the admin API's erasure
    # grant (list versions only for tenants/ prefixes, delete versions only of tenants/* objects) and the worker's
    # segment clean-up (its scratch prefix only, no versions); no other role lists or deletes anything
    synth: Synth = request.getfixturevalue(stage)
    granted = {
        runtime: {grant for grant in found if _lists_or_deletes(grant[0])}
        for runtime, found in s3_grants_by_runtime(synth).items()
    }
    assert {runtime: found for runtime, found in granted.items() if found} == LISTING_AND_DELETES


def test_every_object_grant_stays_under_tenants(dev: Synth) -> None:
    # given every S3 grant / then each names the recordings bucket itself (with a tenants/ prefix condition) or
    # objects under tenants/ — never the whole bucket's objects
    found = [grant for runtime_grants in s3_grants_by_runtime(dev).values() for grant in runtime_grants]
    assert found
    for action, resource, condition in found:
        if resource == BUCKET:
            assert json.loads(condition)["StringLike"]["s3:prefix"].startswith("tenants/"), action
        else:
            assert resource.startswith(f"{BUCKET}/tenants/"), (action, resource)


def test_the_keys_the_code_erases_are_inside_the_granted_scope(dev: Synth) -> None:
    # given the admin API's erasure grant / then the prefix gdpr lists and the keys it deletes match it, and a
    # key outside tenants/ does not
    admin = s3_grants_by_runtime(dev)["admin_api"]
    (list_condition,) = {json.loads(c)["StringLike"]["s3:prefix"] for a, _, c in admin if a == "s3:ListBucketVersions"}
    (delete_pattern,) = {r.removeprefix(f"{BUCKET}/") for a, r, _ in admin if a == "s3:DeleteObjectVersion"}
    assert fnmatchcase(call_object_prefix("ten_a", "call_1"), list_condition)
    for key in (recording_key("ten_a", "call_1"), transcript_key("ten_a", "call_1"),
                f"{call_object_prefix('ten_a', 'call_1')}recording/segments/000000.pcm"):
        assert fnmatchcase(key, delete_pattern), key
    assert not fnmatchcase("exports/ten_a/everything.zip", delete_pattern)
    assert not fnmatchcase("exports/", list_condition)


def test_admin_api_reads_recordings_for_presigned_urls(dev: Synth) -> None:
    # given GET /v1/calls/{id} presigning recording_key / then the admin API may GetObject under tenants/
    admin = s3_grants_by_runtime(dev)["admin_api"]
    assert ("s3:GetObject", TENANT_OBJECTS, NO_CONDITION) in admin


def test_the_worker_writes_and_reads_back_recordings_and_transcripts_under_tenants(dev: Synth) -> None:
    # given the S3 calls of uploader.py/transcript_store.py / then exactly those actions on tenants/* objects, and
    # SSE-KMS use of the data key (bucket default encryption: put needs GenerateDataKey, get and multipart Decrypt)
    worker = s3_grants_by_runtime(dev)["worker"]
    object_actions = {action for action, resource, _ in worker if resource == TENANT_OBJECTS}
    assert object_actions == {"s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:AbortMultipartUpload"}
    (rule,) = dev.resources[bucket_id(dev)]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    names = role_names(dev)
    key_actions = {grant[0] for role, grant in grants(dev)
                   if names.get(role) == "worker" and grant[1] == f"<{key_id}.Arn>"}
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= key_actions


def test_every_key_the_worker_writes_is_granted_and_only_scratch_is_deletable(dev: Synth) -> None:
    # given the keys the worker's code builds / then each is inside tenants/*; segments and manifest (deleted after
    # assembly) are inside the delete scope and the listed prefix, the assembled recording and transcripts are not
    worker = s3_grants_by_runtime(dev)["worker"]
    (delete_pattern,) = {r.removeprefix(f"{BUCKET}/") for a, r, _ in worker if a == "s3:DeleteObject"}
    (list_condition,) = {json.loads(c)["StringLike"]["s3:prefix"] for a, _, c in worker if a == "s3:ListBucket"}
    scratch = (segment_key("ten_a", "call_1", 0), segment_key("ten_a", "call_1", 123456),
               manifest_key("ten_a", "call_1"))
    kept = (recording_key("ten_a", "call_1"), transcript_key("ten_a", "call_1"), text_key("ten_a", "call_1"))
    for key in scratch + kept:
        assert fnmatchcase(key, "tenants/*"), key
    for key in scratch:
        assert fnmatchcase(key, delete_pattern), key
    for key in kept:
        assert not fnmatchcase(key, delete_pattern), key
    assert fnmatchcase(segments_prefix("ten_a", "call_1"), list_condition)
    assert not fnmatchcase(call_object_prefix("ten_a", "call_1"), list_condition)
