"""Durable state: the single DynamoDB table, the recordings bucket and the key that encrypts them."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from switchboard.gdpr import CALLS_PREFIX, call_object_prefix
from switchboard.resources import TABLE
from switchboard.retention import MAX_RETENTION_DAYS, lifecycle_rules

TENANT_OBJECTS = CALLS_PREFIX.split("{", 1)[0] + "*"
"""Every object the platform writes: ``tenants/{tenant}/calls/{call}/...`` (``switchboard.gdpr.call_object_prefix``).
Object grants and listing conditions never reach outside it."""
RECORDING_SCRATCH = call_object_prefix("*", "*") + "recording/*"
"""The worker's recording segments and manifest while a call runs (``media_worker.runtime.uploader.recording_prefix``),
deleted once assembled into ``.../recording.wav``, which is outside this pattern."""


def recordings_lifecycle() -> list[s3.LifecycleRule]:
    """Expiry by the ``retention-days`` tag the worker puts on every object (``switchboard.retention``).

    Retention is per tenant and assistant, so no bucket-wide rule may expire objects sooner than the
    longest retention: the only untagged cap is ``MAX_RETENTION_DAYS``. Old versions (left by segment
    clean-up, overwrites and expiry), their leftover delete markers and abandoned multipart uploads go
    after a day.
    """
    by_tag = [
        s3.LifecycleRule(id=rule.rule_id, tag_filters={rule.tag_key: rule.tag_value},
                         expiration=Duration.days(rule.expiration_days))
        for rule in lifecycle_rules()
    ]
    return [
        *by_tag,
        s3.LifecycleRule(id="RetentionCap", expiration=Duration.days(MAX_RETENTION_DAYS)),
        s3.LifecycleRule(
            id="CleanUp",
            noncurrent_version_expiration=Duration.days(1),
            expired_object_delete_marker=True,
            abort_incomplete_multipart_upload_after=Duration.days(1),
        ),
    ]


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Storage(Construct):
    """Table (single-table design, spec from ``switchboard.resources.TABLE``) and recordings bucket.

    Attributes:
        data_key: customer-managed KMS key for the table, the bucket and the secrets.
        table: on-demand, PITR, TTL, KMS; deletion protection when ``production``.
        bucket: recordings and transcripts; KMS, no public access, SSL only, versioned, expiring by retention tag
            (:func:`recordings_lifecycle`).
        access_logs_bucket: S3 server access logs and load-balancer access logs (SSE-S3, which ELB requires).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        production: bool,
        access_log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY

        self.data_key = kms.Key(
            self,
            "DataKey",
            description="Switchboard data: table, recordings bucket, secrets",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=_string_key(TABLE.partition_key),
            sort_key=_string_key(TABLE.sort_key),
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TABLE.ttl_attribute,
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(self.data_key),
            deletion_protection=production,
            removal_policy=removal,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_string_key(index.partition_key),
                    sort_key=_string_key(index.sort_key),
                )
                for index in TABLE.indexes
            ],
        )

        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(access_log_retention_days))
            ],
        )

        self.bucket = s3.Bucket(
            self,
            "RecordingsBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="recordings-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=recordings_lifecycle(),
        )

    def objects_statement(self, actions: list[str], pattern: str = TENANT_OBJECTS) -> iam.PolicyStatement:
        """``actions`` on the recordings bucket's objects whose keys match ``pattern``."""
        return iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(pattern)])

    def listing_statement(self, actions: list[str], prefix_pattern: str = TENANT_OBJECTS) -> iam.PolicyStatement:
        """Bucket-level ``actions`` (listing) allowed only for request prefixes matching ``prefix_pattern``."""
        return iam.PolicyStatement(
            actions=actions,
            resources=[self.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": prefix_pattern}},
        )
