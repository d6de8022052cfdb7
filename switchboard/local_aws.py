"""Create the platform's AWS resources on a local emulator (moto server) from the shared specs.

The CDK stack builds the same table, bus and rules from :mod:`switchboard.resources`;
this module is its local twin, used by the integration tests and ``make demo``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import boto3

from .resources import RULES, TABLE


@dataclass(frozen=True, slots=True)
class LocalResources:
    region: str
    endpoint_url: str
    table: str
    bucket: str
    event_bus: str
    queues: dict[str, str] = field(default_factory=dict)
    """consumer name -> SQS queue URL fed by its rule"""
    dead_letter_queues: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    """logical name -> secret ARN"""

    def environment(self) -> dict[str, str]:
        """The environment variables the runtimes read, pointing at these resources."""
        from . import resources as r

        env = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            r.ENV_TABLE: self.table,
            r.ENV_BUCKET: self.bucket,
            r.ENV_EVENT_BUS: self.event_bus,
        }
        for name, env_name in (
            ("stream_token", r.ENV_STREAM_TOKEN_SECRET),
            ("providers", r.ENV_PROVIDER_SECRET),
            ("operator", r.ENV_OPERATOR_SECRET),
        ):
            if name in self.secrets:
                env[env_name] = self.secrets[name]
        return env


def _client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def create_table(endpoint_url: str, region: str, name: str) -> None:
    ddb = _client("dynamodb", endpoint_url, region)
    keys = {TABLE.partition_key, TABLE.sort_key}
    for index in TABLE.indexes:
        keys |= {index.partition_key, index.sort_key}
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in sorted(keys)],
        KeySchema=[
            {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
            {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in TABLE.indexes
        ],
    )
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TABLE.ttl_attribute}
    )


def create_bus_and_rules(
    endpoint_url: str, region: str, bus: str, prefix: str
) -> tuple[dict[str, str], dict[str, str]]:
    events = _client("events", endpoint_url, region)
    sqs = _client("sqs", endpoint_url, region)
    events.create_event_bus(Name=bus)
    queues: dict[str, str] = {}
    dlqs: dict[str, str] = {}
    for rule in RULES:
        dlq_url = sqs.create_queue(QueueName=f"{prefix}-{rule.consumer}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName=f"{prefix}-{rule.consumer}",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
                "VisibilityTimeout": "60",
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{prefix}-{rule.name}", EventBusName=bus, EventPattern=json.dumps(rule.pattern))
        events.put_targets(
            Rule=f"{prefix}-{rule.name}", EventBusName=bus, Targets=[{"Id": rule.consumer, "Arn": queue_arn}]
        )
        queues[rule.consumer] = queue_url
        dlqs[rule.consumer] = dlq_url
    return queues, dlqs


def create_secrets(endpoint_url: str, region: str, prefix: str) -> dict[str, str]:
    sm = _client("secretsmanager", endpoint_url, region)
    values = {
        "stream_token": secrets.token_urlsafe(32),
        "operator": "op_" + secrets.token_urlsafe(24),
        "providers": json.dumps({}),
    }
    return {
        name: sm.create_secret(Name=f"{prefix}/{name}", SecretString=value)["ARN"] for name, value in values.items()
    }


def provision(endpoint_url: str, *, region: str = "us-east-1", prefix: str = "switchboard-local") -> LocalResources:
    """Create table, bucket, bus, rule queues and secrets; return where they are."""
    table, bucket, bus = f"{prefix}-table", f"{prefix}-recordings", f"{prefix}-bus"
    create_table(endpoint_url, region, table)
    _client("s3", endpoint_url, region).create_bucket(Bucket=bucket)
    queues, dlqs = create_bus_and_rules(endpoint_url, region, bus, prefix)
    return LocalResources(
        region=region,
        endpoint_url=endpoint_url,
        table=table,
        bucket=bucket,
        event_bus=bus,
        queues=queues,
        dead_letter_queues=dlqs,
        secrets=create_secrets(endpoint_url, region, prefix),
    )
