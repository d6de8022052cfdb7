"""The local stack's resources behave like the cloud ones: a call.ended event reaches the post_call queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3

from switchboard.events import CallEnded, CallStarted, parse_event, to_entry
from switchboard.local_aws import LocalResources
from switchboard.models import UsageRecord


def test_call_ended_is_routed_to_the_post_call_queue_and_others_are_not(aws: LocalResources) -> None:
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    started = CallStarted(
        tenant_id="tn_1",
        call_id="ca_1",
        assistant_id="as_1",
        carrier="twilio",
        direction="inbound",
        from_number="+14155550100",
        to_number="+14155550123",
    )
    ended = CallEnded(
        tenant_id="tn_1",
        call_id="ca_1",
        reported_by="media_worker",
        assistant_id="as_1",
        carrier="twilio",
        started_at=now,
        ended_at=now,
        end_reason="caller_hung_up",
        usage=UsageRecord(carrier="twilio", call_seconds=12.0),
    )

    result = events.put_events(
        Entries=[to_entry(started, bus_name=aws.event_bus), to_entry(ended, bus_name=aws.event_bus)]
    )

    assert result["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=aws.queues["post_call"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
    bodies = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    assert [b["detail-type"] for b in bodies] == ["call.ended"]
    assert parse_event(bodies[0]["detail"]) == ended


def test_table_has_the_shared_key_schema_and_ttl(aws: LocalResources) -> None:
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=aws.table)["Table"]
    assert {k["AttributeName"] for k in table["KeySchema"]} == {"pk", "sk"}
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    ttl = ddb.describe_time_to_live(TableName=aws.table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
