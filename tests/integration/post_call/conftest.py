"""A post_call stack on moto: tenant, assistant, call record, CRM credentials, fakes, and an event tap.

``stack.deliver()`` plays the Lambda SQS event source once: receive from the post_call queue,
invoke the real handler with the SQS event, delete what succeeded, and make the failed
records visible again at once (standing in for the visibility timeout).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from fakes.openai import FakeOpenAI, json_reply
from functions.post_call import handler, services
from switchboard.crm.factory import ENV_BASE_URL
from switchboard.events import CallEnded, to_entry
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, CallRecord, CrmTarget, Turn, UsageRecord
from switchboard.store import assistants, calls
from switchboard.store.secrets import put_credentials

from .crm_kit import KITS, KNOWN, Kit

TENANT = "tn_post"
ASSISTANT = "as_post"
STAGE = "test"
T0 = datetime(2026, 11, 3, 15, 4, 5, tzinfo=UTC)
GOOD_ANALYSIS = {
    "summary": "Caller reported a leaking sink; a plumber was booked for 9am.",
    "sentiment_label": "positive",
    "sentiment_score": 0.6,
    "disposition": "resolved",
    "success": True,
    "success_reason": "booked",
    "structured_data": {},
}
TRANSCRIPT = (
    Turn(role="assistant", text="Acme plumbing, how can I help?", start_ms=0, end_ms=1200),
    Turn(role="caller", text="My sink is leaking.", start_ms=1500, end_ms=2600),
    Turn(role="assistant", text="Booked a plumber for 9am tomorrow.", start_ms=3000, end_ms=4500),
)
USAGE = UsageRecord(carrier="twilio", call_seconds=95.0, stt_seconds=60.0, llm_input_tokens=4_000,
                    llm_output_tokens=500, tts_characters=800)


class FakeLambdaContext:
    function_name = "post_call"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:post_call"
    memory_limit_in_mb = 512
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/post_call"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Stack:
    aws: LocalResources
    kit: Kit
    crm: Any
    llm: FakeOpenAI
    tap_url: str
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))
    table: Any = None

    def call_ended(self, **overrides: Any) -> CallEnded:
        values: dict[str, Any] = {
            "tenant_id": TENANT, "call_id": "ca_post_1", "reported_by": "media_worker", "assistant_id": ASSISTANT,
            "carrier": "twilio", "direction": "inbound", "from_number": KNOWN, "to_number": "+14155550999",
            "started_at": T0, "ended_at": T0 + timedelta(seconds=95), "end_reason": "caller_hung_up",
            "transcript": TRANSCRIPT, "usage": USAGE, "recording_key": "recordings/ca_post_1.wav",
        }
        values.update(overrides)
        event = CallEnded(**values)
        self.ensure_call_record(event)
        return event

    def ensure_call_record(self, event: CallEnded) -> None:
        record = CallRecord(call_id=event.call_id, tenant_id=TENANT, assistant_id=event.assistant_id,
                            carrier="twilio", carrier_call_id=f"CA{event.call_id}", direction=event.direction,
                            from_number=event.from_number, to_number=event.to_number or "+14155550999",
                            status="in_progress", started_at=event.started_at)
        calls.create_call(self.table, record)

    def put_on_bus(self, event: CallEnded) -> None:
        response = boto3.client("events").put_events(Entries=[to_entry(event, bus_name=self.aws.event_bus)])
        assert response["FailedEntryCount"] == 0

    def deliver(self) -> dict[str, Any]:
        """One poll of the event source mapping; returns the handler's response (or {} if nothing came)."""
        queue = self.aws.queues["post_call"]
        messages = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"],
                                            WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return {}
        response = handler.lambda_handler(sqs_event(messages), FakeLambdaContext())  # type: ignore[arg-type]
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=0)
            else:
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return {"response": response, "messages": messages}

    def tapped(self) -> list[dict[str, Any]]:
        """Every call.analyzed / crm.written event the bus delivered to the test tap, drained."""
        out: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.tap_url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=0).get("Messages", [])
            if not batch:
                return out
            for message in batch:
                out.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.tap_url, ReceiptHandle=message["ReceiptHandle"])

    def queue_depth(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:sb-test-post_call",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def make_tap(aws: LocalResources) -> str:
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName=f"tap-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["switchboard"], "detail-type": ["call.analyzed", "crm.written"]}
    events.put_rule(Name="test-tap", EventBusName=aws.event_bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="test-tap", EventBusName=aws.event_bus, Targets=[{"Id": "tap", "Arn": arn}])
    return url


def crm_kit(name: str) -> Kit:
    return next(k for k in KITS if k.name == name)


@pytest.fixture
def crm_name() -> str:
    return "hubspot"


@pytest.fixture
def assistant_crm(crm_name: str) -> CrmTarget:
    return CrmTarget(provider=crm_name, create_contact_if_missing=False)  # type: ignore[arg-type]


@pytest.fixture
def stack(aws: LocalResources, monkeypatch: pytest.MonkeyPatch, crm_name: str,
          assistant_crm: CrmTarget) -> Iterator[Stack]:
    kit = crm_kit(crm_name)
    with kit.make_fake().in_thread() as crm, FakeOpenAI(default_reply=json_reply(GOOD_ANALYSIS)).in_thread() as llm:
        sm = boto3.client("secretsmanager")
        sm.put_secret_value(SecretId=aws.secrets["providers"], SecretString=json.dumps({"openai": llm.api_key}))
        for name, value in {
            "SWITCHBOARD_STAGE": STAGE,
            "OPENAI_BASE_URL": llm.base_url,
            ENV_BASE_URL[crm_name]: crm.http_url,
            "SWITCHBOARD_CRM_BACKOFF_S": "0",
            "SWITCHBOARD_CRM_TIMEOUT_S": "0.5",
            "SWITCHBOARD_PUBLIC_API_URL": "https://api.example.test",
        }.items():
            monkeypatch.setenv(name, value)
        services.reset()
        table = boto3.resource("dynamodb").Table(aws.table)
        assistants.create_assistant(table, TENANT, Assistant(
            assistant_id=ASSISTANT, tenant_id=TENANT, name="Plumbing desk", system_prompt="Book plumbers.",
            crm=assistant_crm,
        ))
        put_credentials(table, sm, stage=STAGE, tenant_id=TENANT, provider=crm_name,  # type: ignore[arg-type]
                        values=kit.credentials(crm))
        yield Stack(aws=aws, kit=kit, crm=crm, llm=llm, tap_url=make_tap(aws), table=table)
        services.reset()
