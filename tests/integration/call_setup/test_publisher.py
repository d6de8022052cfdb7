"""The Lambdas' synchronous EventBridge publisher against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from switchboard.events import CallEnded, parse_event
from switchboard.local_aws import LocalResources
from switchboard.models import UsageRecord
from switchboard.publisher import EventPublisher, EventPublishError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ended(call_id: str) -> CallEnded:
    return CallEnded(
        tenant_id="ten_a",
        call_id=call_id,
        reported_by="status_callback",
        assistant_id="asst_1",
        carrier="twilio",
        started_at=T0,
        ended_at=T0,
        end_reason="caller_hung_up",
        usage=UsageRecord(carrier="twilio"),
    )


def received(queue_url: str) -> list[Any]:
    sqs = boto3.client("sqs")
    events = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            events.append(parse_event(json.loads(message["Body"])["detail"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events


def test_more_events_than_one_put_events_call_takes_are_all_delivered(aws: LocalResources) -> None:
    publisher = EventPublisher(boto3.client("events"), aws.event_bus)
    events = [ended(f"call_{i}") for i in range(12)]

    publisher.publish(*events)

    assert sorted(e.call_id for e in received(aws.queues["post_call"])) == sorted(e.call_id for e in events)


class FlakyEvents:
    """An events client that fails chosen entries on the first attempt, then delegates to moto."""

    def __init__(self, real: Any, fail_first: int) -> None:
        self.real = real
        self.fail_first = fail_first
        self.calls: list[int] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(len(Entries))
        if len(self.calls) == 1:
            ok = self.real.put_events(Entries=Entries[self.fail_first :])["Entries"]
            failed = [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}] * self.fail_first
            return {"FailedEntryCount": self.fail_first, "Entries": failed + ok}
        response: dict[str, Any] = self.real.put_events(Entries=Entries)
        return response


def test_only_failed_entries_are_resent(aws: LocalResources) -> None:
    flaky = FlakyEvents(boto3.client("events"), fail_first=2)
    publisher = EventPublisher(flaky, aws.event_bus, sleep=lambda _: None)

    publisher.publish(ended("call_0"), ended("call_1"), ended("call_2"))

    assert flaky.calls == [3, 2]
    assert sorted(e.call_id for e in received(aws.queues["post_call"])) == ["call_0", "call_1", "call_2"]


def test_an_unreachable_bus_raises_a_typed_error_naming_the_events(aws: LocalResources) -> None:
    dead = boto3.client("events", endpoint_url="http://127.0.0.1:9")
    publisher = EventPublisher(dead, aws.event_bus, max_attempts=2, sleep=lambda _: None)
    event = ended("call_0")

    with pytest.raises(EventPublishError) as caught:
        publisher.publish(event)

    assert caught.value.event_ids == (event.event_id,)
