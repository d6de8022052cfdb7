"""Call setup against moto server and the fake Telnyx API, driven by real API Gateway v2 payloads.

``stack`` seeds one tenant (``ten_a``) with two assistants and two numbers (a Twilio number
routed to ``asst_1`` and a Telnyx number), creates the carrier secret, points the handler at
the fake Telnyx API, and adds a test-only rule that copies ``call.started`` to an SQS queue.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from twilio.request_validator import RequestValidator

from fakes.telnyx_rest import FakeTelnyxRest
from switchboard.events import EVENT_SOURCE, BusEvent, parse_event
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, PhoneNumber, Tenant
from switchboard.resources import (
    ENV_CARRIER_SECRET,
    ENV_MEDIA_WSS_URL,
    ENV_PUBLIC_API_URL,
)
from switchboard.store import attach_number, create_assistant, create_tenant, table_resource
from switchboard.telephony.public_urls import ENV_PUBLIC_API_URLS
from switchboard.telephony.telnyx_call_control import ENV_TELNYX_API_BASE_URL

EVENTS = Path(__file__).resolve().parents[2] / "events"
PUBLIC_URL = "https://api.switchboard.test"
MEDIA_URL = "wss://media.switchboard.test"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
TWILIO_NUMBER = "+14155550100"
TELNYX_NUMBER = "+14155550200"
CALLER = "+14155550111"


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return data


def template_form(name: str) -> dict[str, str]:
    event = load_event(name)
    body = base64.b64decode(event["body"]).decode()
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body, keep_blank_values=True))


@dataclass
class LambdaContext:
    function_name: str = "call_setup"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:call_setup"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


@dataclass
class Stack:
    aws: LocalResources
    table: Any
    telnyx: FakeTelnyxRest
    telnyx_key: Ed25519PrivateKey
    started_queue: str
    stream_key: bytes

    # --- invoking the handler -----------------------------------------------------------------

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        from functions.call_setup.handler import lambda_handler

        response: dict[str, Any] = lambda_handler(event, LambdaContext())  # type: ignore[arg-type]
        return response

    def twilio(
        self,
        path: str,
        params: dict[str, str],
        *,
        query: dict[str, str] | None = None,
        host: str = "api.switchboard.test",
        signed_url: str | None = None,
        token: str = TWILIO_TOKEN,
        signature: str | None = "compute",
    ) -> dict[str, Any]:
        template = "call_setup_twilio_voice" if path == "/twilio/voice" else "call_setup_twilio_status"
        event = copy.deepcopy(load_event(template))
        raw_query = urlencode(query or {})
        body = urlencode(params)
        event["rawPath"] = path
        event["rawQueryString"] = raw_query
        event["queryStringParameters"] = dict(query or {}) or None
        event["body"] = base64.b64encode(body.encode()).decode()
        event["headers"]["host"] = host
        event["headers"]["content-length"] = str(len(body))
        event["requestContext"]["domainName"] = host
        url = signed_url or f"https://{host}{path}" + (f"?{raw_query}" if raw_query else "")
        if signature == "compute":
            event["headers"]["x-twilio-signature"] = RequestValidator(token).compute_signature(url, params)
        elif signature is None:
            del event["headers"]["x-twilio-signature"]
        else:
            event["headers"]["x-twilio-signature"] = signature
        return self.invoke(event)

    def telnyx_event(
        self,
        event_type: str,
        payload: dict[str, Any],
        *,
        signed_at: float | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> dict[str, Any]:
        event = copy.deepcopy(load_event("call_setup_telnyx_webhook"))
        body_doc = json.loads(event["body"])
        body_doc["data"]["event_type"] = event_type
        body_doc["data"]["payload"] = {**body_doc["data"]["payload"], **payload}
        body = json.dumps(body_doc, separators=(",", ":"))
        timestamp = str(int(time.time() if signed_at is None else signed_at))
        signature = (key or self.telnyx_key).sign(f"{timestamp}|{body}".encode())
        event["body"] = body
        event["headers"]["content-length"] = str(len(body))
        event["headers"]["telnyx-timestamp"] = timestamp
        event["headers"]["telnyx-signature-ed25519"] = base64.b64encode(signature).decode()
        return event

    # --- reading what happened ----------------------------------------------------------------

    def drain(self, queue_url: str) -> list[BusEvent]:
        sqs = boto3.client("sqs")
        events: list[BusEvent] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(parse_event(json.loads(message["Body"])["detail"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def started_events(self) -> list[BusEvent]:
        return self.drain(self.started_queue)

    def post_call_events(self) -> list[BusEvent]:
        return self.drain(self.aws.queues["post_call"])

    def call_items(self, tenant_id: str = "ten_a") -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = self.table.query(
            KeyConditionExpression=Key("pk").eq(f"TENANT#{tenant_id}") & Key("sk").begins_with("CALL#")
        )["Items"]
        return items


def _public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _started_queue(aws: LocalResources) -> str:
    """A test-only rule: call.started → SQS, to observe what call setup publishes."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    url = sqs.create_queue(QueueName="sb-test-call-started")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [EVENT_SOURCE], "detail-type": ["call.started"]}
    events.put_rule(Name="sb-test-call-started", EventBusName=aws.event_bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="sb-test-call-started", EventBusName=aws.event_bus, Targets=[{"Id": "t", "Arn": arn}])
    return str(url)


@pytest.fixture
def telnyx_api() -> Iterator[FakeTelnyxRest]:
    with FakeTelnyxRest().in_thread() as fake:
        yield fake


@pytest.fixture
def stack(aws: LocalResources, monkeypatch: pytest.MonkeyPatch, telnyx_api: FakeTelnyxRest) -> Stack:
    telnyx_key = Ed25519PrivateKey.generate()
    carrier = {
        "twilio_auth_token": TWILIO_TOKEN,
        "telnyx_public_key": _public_key_b64(telnyx_key),
        "telnyx_api_key": telnyx_api.api_key,
    }
    carrier_arn = boto3.client("secretsmanager").create_secret(
        Name="sb-test/carrier", SecretString=json.dumps(carrier)
    )["ARN"]
    for name, value in {
        ENV_CARRIER_SECRET: carrier_arn,
        ENV_PUBLIC_API_URL: PUBLIC_URL,
        ENV_MEDIA_WSS_URL: MEDIA_URL,
        ENV_TELNYX_API_BASE_URL: telnyx_api.http_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(ENV_PUBLIC_API_URLS, raising=False)

    table = table_resource(aws.table)
    create_tenant(table, Tenant(tenant_id="ten_a", name="Acme", max_concurrent_calls=2, retention_days=14))
    for assistant_id in ("asst_1", "asst_2"):
        create_assistant(
            table,
            "ten_a",
            Assistant(assistant_id=assistant_id, tenant_id="ten_a", name=assistant_id, system_prompt="Be brief."),
        )
    attach_number(
        table, "ten_a", PhoneNumber(number=TWILIO_NUMBER, tenant_id="ten_a", carrier="twilio", assistant_id="asst_1")
    )
    attach_number(
        table, "ten_a", PhoneNumber(number=TELNYX_NUMBER, tenant_id="ten_a", carrier="telnyx", assistant_id="asst_1")
    )
    stream_key = boto3.client("secretsmanager").get_secret_value(SecretId=aws.secrets["stream_token"])["SecretString"]
    return Stack(
        aws=aws,
        table=table,
        telnyx=telnyx_api,
        telnyx_key=telnyx_key,
        started_queue=_started_queue(aws),
        stream_key=stream_key.encode(),
    )
