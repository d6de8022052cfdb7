"""The worker's event publisher never blocks, never drops, and survives outages and restarts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from media_worker.runtime.publisher import EventPublisher
from switchboard.events import CallEnded, parse_event
from switchboard.local_aws import LocalResources
from switchboard.models import UsageRecord

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def ended(call_id: str) -> CallEnded:
    return CallEnded(
        tenant_id="tn_1",
        call_id=call_id,
        reported_by="media_worker",
        assistant_id="as_1",
        carrier="twilio",
        started_at=NOW,
        ended_at=NOW,
        end_reason="caller_hung_up",
        usage=UsageRecord(carrier="twilio", call_seconds=3.0),
    )


def drain(queue_url: str) -> list[str]:
    sqs = boto3.client("sqs")
    ids: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return ids
        for message in got:
            ids.append(parse_event(json.loads(message["Body"])["detail"]).call_id)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def dead_client() -> object:
    return boto3.client(
        "events",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=0.2, read_timeout=0.2),
    )


class _SwitchableEndpoint:
    """The publisher's EventBridge client: an unreachable endpoint while ``down``, then the real one.
    Both are real boto3 clients talking over sockets; only which one answers changes."""

    def __init__(self, dead: Any, live: Any) -> None:
        self.dead, self.live, self.down = dead, live, True

    def put_events(self, **kwargs: Any) -> Any:
        return (self.dead if self.down else self.live).put_events(**kwargs)


async def test_events_published_while_the_bus_is_down_arrive_after_recovery(aws: LocalResources) -> None:
    endpoint = _SwitchableEndpoint(
        await asyncio.to_thread(dead_client), await asyncio.to_thread(boto3.client, "events")
    )
    publisher = EventPublisher(bus_name=aws.event_bus, client_factory=lambda: endpoint, base_backoff_s=0.05)
    await publisher.start()

    for n in range(3):
        publisher.publish(ended(f"ca_{n}"))
    for _ in range(200):  # until at least one send failed against the unreachable bus
        if publisher.failures:
            break
        await asyncio.sleep(0.05)
    assert publisher.failures >= 1
    assert publisher.pending == 3

    endpoint.down = False
    assert await publisher.flush(timeout_s=30)
    await publisher.aclose()

    assert sorted(await asyncio.to_thread(drain, aws.queues["post_call"])) == ["ca_0", "ca_1", "ca_2"]


async def test_a_restarted_worker_publishes_what_it_had_spooled(aws: LocalResources, tmp_path: Path) -> None:
    spool = tmp_path / "events.jsonl"
    crashed = EventPublisher(bus_name=aws.event_bus, client_factory=dead_client, spool_path=spool, base_backoff_s=0.05)
    await crashed.start()
    crashed.publish(ended("ca_a"))
    crashed.publish(ended("ca_b"))
    await crashed.aclose(timeout_s=0.3)
    assert crashed.pending == 2

    fresh_client = await asyncio.to_thread(boto3.client, "events")
    restarted = EventPublisher(bus_name=aws.event_bus, client_factory=lambda: fresh_client, spool_path=spool)
    await restarted.start()
    assert await restarted.flush(timeout_s=10)
    await restarted.aclose()

    assert sorted(await asyncio.to_thread(drain, aws.queues["post_call"])) == ["ca_a", "ca_b"]
    assert spool.read_text() == ""
