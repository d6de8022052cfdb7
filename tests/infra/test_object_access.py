"""Who may do what with the recordings bucket: every object grant stays under ``tenants/``, and listing or
deleting is granted only where the code does it (GDPR erasure in the admin API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest

from switchboard.gdpr import call_object_prefix, recording_key, transcript_key

from .conftest import Synth

BUCKET = "<bucket>"
TENANT_OBJECTS = f"{BUCKET}/tenants/*"
TENANTS_PREFIX = {"StringLike": {"s3:prefix": "tenants/*"}}
NO_CONDITION = "{}"

Grant = tuple[str, str, str]
"""(action, resource as text, condition as JSON)"""


def _bucket_id(synth: Synth) -> str:
    (logical_id,) = [
        lid for lid, bucket in synth.of_type("AWS::S3::Bucket").items()
        if "KMSMasterKeyID" in str(bucket["Properties"].get("BucketEncryption"))
    ]
    return logical_id


def _text(value: Any, bucket_id: str) -> str:
    """A resource as text: the recordings bucket's ARN is ``<bucket>``, other references ``<Id>``/``<Id.Attr>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return BUCKET if (logical_id, attribute) == (bucket_id, "Arn") else f"<{logical_id}.{attribute}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part, bucket_id) for part in parts)
    return json.dumps(value, sort_keys=True)  # other intrinsics (never the bucket's objects)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def role_names(synth: Synth) -> dict[str, str]:
    """Role logical id -> runtime name (the function's folder name, or ``worker`` for the task role)."""
    names = {}
    for fn in synth.of_type("AWS::Lambda::Function").values():
        handler = fn["Properties"].get("Handler", "")
        if handler.startswith("functions."):
            names[fn["Properties"]["Role"]["Fn::GetAtt"][0]] = handler.split(".")[1]
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    names[task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]] = "worker"
    return names


def grants(synth: Synth) -> Iterator[tuple[str, Grant]]:
    """(role logical id, grant) for every Allow of every IAM policy, one action and one resource at a time."""
    bucket_id = _bucket_id(synth)
    for policy in synth.of_type("AWS::IAM::Policy").values():
        roles = [role["Ref"] for role in policy["Properties"].get("Roles", [])]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    for role in roles:
                        yield role, (action, _text(resource, bucket_id), condition)


def s3_grants_by_runtime(synth: Synth) -> dict[str, set[Grant]]:
    names = role_names(synth)
    found: dict[str, set[Grant]] = {}
    for role, grant in grants(synth):
        if grant[0].startswith("s3:") or grant[0] == "*":
            found.setdefault(names.get(role, role), set()).add(grant)
    return found


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
}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_erasure_lists_or_deletes_and_only_under_tenants(stage: str, request: pytest.FixtureRequest) -> None:
    # given every IAM policy of the stack / then listing and deleting objects is exactly the admin API's erasure
    # grant: list (versions) only for tenants/ prefixes, delete (versions) only tenants/* objects; no other role
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
