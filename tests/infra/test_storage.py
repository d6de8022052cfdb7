"""Storage: the single table (from resources.TABLE) and the recordings bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from switchboard.resources import TABLE

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


def test_recordings_expire_after_the_stage_retention(
    dev: Synth, prod: Synth, dev_stage: dict[str, Any], prod_stage: dict[str, Any]
) -> None:
    for synth, stage in ((dev, dev_stage), (prod, prod_stage)):
        _, props = _recordings_bucket(synth)
        (rule,) = props["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled"
        assert rule["ExpirationInDays"] == stage["retention_days"]


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
