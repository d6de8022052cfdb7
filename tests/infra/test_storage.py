"""Storage: the single table (from resources.TABLE) and the recordings bucket."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from aws_cdk.assertions import Match

from switchboard.resources import TABLE
from switchboard.retention import MAX_RETENTION_DAYS, lifecycle_rules, s3_tagging

from .conftest import Synth


def _table(synth: Synth) -> dict[str, Any]:
    (table,) = synth.of_type("AWS::DynamoDB::GlobalTable").values()
    props: dict[str, Any] = table["Properties"]
    return props


def test_table_schema_comes_from_the_shared_spec(dev: Synth) -> None:
    props = _table(dev)
    assert props["KeySchema"] == [
        {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
        {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index["KeySchema"] for index in props["GlobalSecondaryIndexes"]}
    assert indexes == {
        spec.name: [{"AttributeName": spec.partition_key, "KeyType": "HASH"},
                    {"AttributeName": spec.sort_key, "KeyType": "RANGE"}]
        for spec in TABLE.indexes
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": TABLE.ttl_attribute, "Enabled": True}


def test_table_is_on_demand_with_pitr_and_a_customer_managed_key(dev: Synth) -> None:
    props = _table(dev)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    key_id = replica["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0]
    assert dev.resources[key_id]["Type"] == "AWS::KMS::Key"
    assert dev.resources[key_id]["Properties"]["EnableKeyRotation"] is True


def test_deletion_protection_only_in_production(dev: Synth, prod: Synth) -> None:
    (dev_replica,) = _table(dev)["Replicas"]
    (prod_replica,) = _table(prod)["Replicas"]
    assert dev_replica.get("DeletionProtectionEnabled", False) is False
    assert prod_replica["DeletionProtectionEnabled"] is True
    (prod_table,) = prod.of_type("AWS::DynamoDB::GlobalTable").values()
    assert prod_table["DeletionPolicy"] == "Retain"


def _recordings_bucket(synth: Synth) -> tuple[str, dict[str, Any]]:
    (logical_id,) = [
        lid for lid, bucket in synth.of_type("AWS::S3::Bucket").items()
        if "KMSMasterKeyID" in str(bucket["Properties"].get("BucketEncryption"))
    ]
    return logical_id, synth.resources[logical_id]["Properties"]


def test_recordings_bucket_is_kms_encrypted_private_versioned_and_logged(dev: Synth) -> None:
    _, props = _recordings_bucket(dev)
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "DestinationBucketName" in props["LoggingConfiguration"]


def _rules(synth: Synth) -> list[dict[str, Any]]:
    _, props = _recordings_bucket(synth)
    rules: list[dict[str, Any]] = props["LifecycleConfiguration"]["Rules"]
    return rules


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_recordings_expire_by_their_retention_tag_exactly_as_specified(stage: str, request: pytest.FixtureRequest
                                                                       ) -> None:
    # given switchboard.retention.lifecycle_rules() / then the bucket has exactly one enabled rule per spec: objects
    # tagged retention-days=N expire after N days, whatever the stage
    synth: Synth = request.getfixturevalue(stage)
    tagged = {
        (rule["Id"], *((f["Key"], f["Value"]) for f in rule["TagFilters"]), rule["ExpirationInDays"])
        for rule in _rules(synth) if "TagFilters" in rule
    }
    assert tagged == {(r.rule_id, (r.tag_key, r.tag_value), r.expiration_days) for r in lifecycle_rules()}
    assert all(rule["Status"] == "Enabled" for rule in _rules(synth))
    assert len(_rules(synth)) <= 1000  # S3's limit per bucket


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_bucket_wide_rule_expires_objects_before_the_longest_retention(stage: str, request: pytest.FixtureRequest
                                                                          ) -> None:
    # given tenants with retention up to MAX_RETENTION_DAYS (3650) / then a rule without a tag filter expires
    # current objects no sooner than that (prod's retention_days=365 once deleted 10-year recordings at 365)
    synth: Synth = request.getfixturevalue(stage)
    untagged = [rule for rule in _rules(synth) if "TagFilters" not in rule and "ExpirationInDays" in rule]
    assert [rule["ExpirationInDays"] for rule in untagged] == [MAX_RETENTION_DAYS]
    assert MAX_RETENTION_DAYS >= 3650
    assert not [rule for rule in _rules(synth) if "Prefix" in rule and "ExpirationInDays" in rule]


def test_old_versions_delete_markers_and_abandoned_uploads_are_cleaned_up(dev: Synth) -> None:
    (cleanup,) = [rule for rule in _rules(dev) if "NoncurrentVersionExpiration" in rule]
    assert cleanup["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert cleanup["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert cleanup["ExpiredObjectDeleteMarker"] is True
    assert "TagFilters" not in cleanup and "ExpirationInDays" not in cleanup


@pytest.mark.parametrize("days", [1, 4, 30, 31, 365, 366, 2000, MAX_RETENTION_DAYS])
def test_the_tag_the_worker_writes_has_a_rule_that_keeps_the_object_long_enough(dev: Synth, days: int) -> None:
    # given the Tagging string the worker puts on an object of a call with `days` retention (retention.s3_tagging)
    # / then a rule matches that tag and expires the object no sooner than `days` and less than twice as late
    ((key, value),) = parse_qsl(s3_tagging(days))
    (rule,) = [r for r in _rules(dev) if r.get("TagFilters") == [{"Key": key, "Value": value}]]
    assert days <= rule["ExpirationInDays"] < 2 * days + 1


def test_every_bucket_denies_plain_http(dev: Synth) -> None:
    buckets = set(dev.of_type("AWS::S3::Bucket"))
    enforced = set()
    for policy in dev.of_type("AWS::S3::BucketPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements):
            enforced.add(policy["Properties"]["Bucket"]["Ref"])
    assert buckets and enforced == buckets
    dev.template.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with(
        [Match.object_like({"Effect": "Deny", "Action": "s3:*", "Principal": {"AWS": "*"}})])}})
