"""The local event router: moto's EventBridge does the rule's pattern matching, the router does the
SQS event source mapping's part (batch event in, partial batch failures honoured)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

from devstack.event_router import LocalEventRouter
from switchboard.events import EVENT_SOURCE
from switchboard.local_aws import LocalResources


def put(aws: LocalResources, detail_type: str, detail: dict[str, Any]) -> None:
    entry = {"Source": EVENT_SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail),
             "EventBusName": aws.event_bus}  # fmt: skip
    boto3.client("events").put_events(Entries=[entry])


def wait_for(predicate: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_only_events_matching_the_rule_reach_the_consumer_as_an_sqs_batch(aws: LocalResources) -> None:
    # given a router whose post_call consumer records what it gets
    seen: list[dict[str, Any]] = []

    def consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(event["Records"])
        return {"batchItemFailures": []}

    router = LocalEventRouter(aws.queues, aws.endpoint_url, loader=lambda name: consumer).start()
    try:
        # when a call.started (no rule) and a call.ended (the post_call rule) are published
        put(aws, "call.started", {"n": 1})
        put(aws, "call.ended", {"n": 2})
        wait_for(lambda: len(seen) >= 1)
        time.sleep(1.5)  # one more poll: nothing else may arrive
    finally:
        router.close()
    # then only call.ended arrived, as Lambda's SQS event, and the queue is empty
    [record] = seen
    envelope = json.loads(record["body"])
    assert (envelope["detail-type"], envelope["detail"]) == ("call.ended", {"n": 2})
    assert record["eventSource"] == "aws:sqs" and record["attributes"]["ApproximateReceiveCount"] == "1"
    left = boto3.client("sqs").receive_message(QueueUrl=aws.queues["post_call"], WaitTimeSeconds=0)
    assert left.get("Messages", []) == []


def test_a_record_the_consumer_reports_as_failed_is_delivered_again(aws: LocalResources) -> None:
    # given a consumer that fails the first delivery of every record
    counts: list[str] = []

    def consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        record = event["Records"][0]
        counts.append(record["attributes"]["ApproximateReceiveCount"])
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}] if len(counts) == 1 else []}

    router = LocalEventRouter(aws.queues, aws.endpoint_url, loader=lambda name: consumer, retry_after_s=1).start()
    try:
        # when one call.ended is published
        put(aws, "call.ended", {"n": 3})
        wait_for(lambda: len(counts) >= 2)
    finally:
        router.close()
    # then it came back once more (SQS redelivery), and the router recorded both outcomes
    assert counts[:2] == ["1", "2"]
    assert [bool(d.failed) for d in router.deliveries[:2]] == [True, False]
