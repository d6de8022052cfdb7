"""The local event router: bus events reach the Lambda each CDK rule targets, through the same patterns.

In AWS, every rule in :data:`switchboard.resources.RULES` sends matching events to an SQS queue
and an SQS event source mapping invokes the consumer Lambda with batches. Locally, moto's
EventBridge does the pattern matching and delivery into the same queues
(``LocalResources.queues``, created by :func:`switchboard.local_aws.provision`); this router does
the event source mapping's part: it long-polls each queue, invokes
``functions.<consumer>.handler.lambda_handler`` with the SQS batch event Lambda would send, deletes
the records the handler did not report in ``batchItemFailures``, and makes failed ones visible
again after ``retry_after_s`` (SQS then moves them to the DLQ after ``maxReceiveCount``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from devstack.gateway import REGION, FakeLambdaContext

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], Any]


def load_consumer(consumer: str) -> Handler:
    handler: Handler = importlib.import_module(f"functions.{consumer}.handler").lambda_handler
    return handler


@dataclass(frozen=True, slots=True)
class Delivery:
    """One batch handed to a consumer: how many records, and which failed."""

    consumer: str
    message_ids: tuple[str, ...]
    failed: tuple[str, ...]
    error: str | None = None


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event an SQS event source mapping passes to Lambda for ``messages`` (ReceiveMessage output)."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append({
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                "SenderId": attributes.get("SenderId", "AIDAEXAMPLE"),
                "ApproximateFirstReceiveTimestamp": attributes.get(
                    "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))),
            },
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        })  # fmt: skip
    return {"Records": records}


@dataclass
class LocalEventRouter:
    """Polls ``queues`` (consumer -> queue URL) in one background thread; see the module doc."""

    queues: Mapping[str, str]
    endpoint_url: str
    region: str = REGION
    loader: Callable[[str], Handler] = load_consumer
    retry_after_s: int = 2
    wait_s: int = 1
    deliveries: list[Delivery] = field(default_factory=list)
    listeners: list[Callable[[Delivery], None]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> LocalEventRouter:
        sqs = boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=self.region)
        arns = {
            consumer: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for consumer, url in self.queues.items()
        }
        handlers = {consumer: self.loader(consumer) for consumer in self.queues}  # import now, not mid-call
        self._thread = threading.Thread(target=self._run, args=(sqs, arns, handlers), name="event-router",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_s + 10)
            self._thread = None

    def _run(self, sqs: Any, arns: dict[str, str], handlers: dict[str, Handler]) -> None:
        while not self._stop.is_set():
            for consumer, url in self.queues.items():
                if self._stop.is_set():
                    return
                try:
                    self.poll_once(sqs, consumer, url, arns[consumer], handlers[consumer])
                except Exception:  # the emulator went away (shutdown) or a transient error: keep polling
                    if not self._stop.is_set():
                        log.warning("event router poll failed", exc_info=True)
                        self._stop.wait(1.0)

    def poll_once(self, sqs: Any, consumer: str, url: str, arn: str, handler: Handler) -> Delivery | None:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_s, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return None
        ids = tuple(m["MessageId"] for m in messages)
        error = None
        try:
            response = handler(sqs_event(messages, arn), FakeLambdaContext(consumer, timeout_s=60.0)) or {}
            failed = tuple(f["itemIdentifier"] for f in response.get("batchItemFailures", []))
        except Exception as exc:  # a failed invocation fails the whole batch, as in Lambda
            log.warning("consumer %s failed", consumer, exc_info=True)
            failed, error = ids, type(exc).__name__
        for message in messages:
            if message["MessageId"] in failed:
                with contextlib.suppress(Exception):
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=self.retry_after_s)  # fmt: skip
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        delivery = Delivery(consumer, ids, failed, error)
        self.deliveries.append(delivery)
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):
                listener(delivery)
        return delivery
