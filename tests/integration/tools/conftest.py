"""A tenant, a live call and its assistant in moto, the tool_call Lambda behind the local gateway.

``tool_stack`` seeds tenant ``ten_t`` (private tool URLs allowed, so loopback webhooks are
reachable; argument logging off), a signing secret in its namespace, an in-progress call
``call_1`` answered by ``asst_t``, and a test-only rule that copies ``tool.invoked`` to an SQS
queue. Tests add tools pointing at their own loopback webhook with :meth:`ToolStack.use_tools`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from devstack.gateway import Gateway
from switchboard.events import EVENT_SOURCE, BusEvent, parse_event
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, CallRecord, Tenant, ToolDefinition
from switchboard.resources import ENV_STAGE
from switchboard.store import create_assistant, create_tenant, replace_assistant, table_resource
from switchboard.store._table import tenant_pk, to_item
from switchboard.store.calls import create_call
from switchboard.store.tenants import TENANT_SK

TENANT = "ten_t"
ASSISTANT = "asst_t"
CALL = "call_1"
CALLER = "+14155550111"
SECRET_NAME = f"switchboard/test/tenants/{TENANT}/tools/booking"
SECRET = "whsec_booking_for_tests"
SCHEMA = {
    "type": "object",
    "properties": {"date": {"type": "string"}, "party": {"type": "integer", "minimum": 1}},
    "required": ["date"],
    "additionalProperties": False,
}


def booking_tool(url: str, **overrides: Any) -> ToolDefinition:
    fields: dict[str, Any] = {
        "name": "check_availability",
        "description": "Check table availability",
        "parameters": SCHEMA,
        "webhook_url": url,
        "timeout_ms": 2000,
        "signing_secret_ref": SECRET_NAME,
        "filler_phrase": "Let me check that for you.",
    }
    fields.update(overrides)
    return ToolDefinition.from_wire(fields)


@dataclass
class ToolStack:
    aws: LocalResources
    table: Any
    invoked_queue: str
    gateway: Gateway

    def use_tools(self, *tools: ToolDefinition) -> Assistant:
        assistant = Assistant(assistant_id=ASSISTANT, tenant_id=TENANT, name="Desk", system_prompt="Be brief.",
                              tools=tools)  # fmt: skip
        return replace_assistant(self.table, TENANT, assistant)

    def set_tenant(self, **fields: Any) -> None:
        tenant = Tenant(tenant_id=TENANT, name="Tools Co", **fields)
        item = to_item(tenant, pk=tenant_pk(TENANT), sk=TENANT_SK, gsi1pk="TENANTS", gsi1sk=TENANT)
        self.table.put_item(Item=item)

    def invoke(self, body: dict[str, Any] | str) -> tuple[int, Any]:
        """POST /tools/invoke through the gateway logic (payload-2.0 event to the real handler)."""
        raw = body if isinstance(body, str) else json.dumps(body)
        response = self.gateway.handle("POST", "/tools/invoke", {"Content-Type": "application/json"}, raw.encode())
        return response.status, json.loads(response.body)

    def invoked_events(self) -> list[BusEvent]:
        sqs = boto3.client("sqs")
        events: list[BusEvent] = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.invoked_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(parse_event(json.loads(message["Body"])["detail"]))
                sqs.delete_message(QueueUrl=self.invoked_queue, ReceiptHandle=message["ReceiptHandle"])


def tool_request(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "call_id": CALL,
        "tenant_id": TENANT,
        "caller_number": CALLER,
        "tool_call_id": "tc_1",
        "tool_name": "check_availability",
        "arguments": {"date": "friday", "party": 2},
    }
    request.update(overrides)
    return request


def _invoked_queue(aws: LocalResources) -> str:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    url = sqs.create_queue(QueueName="sb-test-tool-invoked")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [EVENT_SOURCE], "detail-type": ["tool.invoked"]}
    events.put_rule(Name="sb-test-tool-invoked", EventBusName=aws.event_bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="sb-test-tool-invoked", EventBusName=aws.event_bus, Targets=[{"Id": "t", "Arn": arn}])
    return str(url)


@pytest.fixture
def tool_stack(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> ToolStack:
    monkeypatch.setenv(ENV_STAGE, "test")
    table = table_resource(aws.table)
    create_tenant(table, Tenant(tenant_id=TENANT, name="Tools Co", allow_private_tool_urls=True))
    create_assistant(table, TENANT, Assistant(assistant_id=ASSISTANT, tenant_id=TENANT, name="Desk",
                                              system_prompt="Be brief."))  # fmt: skip
    create_call(table, CallRecord(call_id=CALL, tenant_id=TENANT, assistant_id=ASSISTANT, carrier="twilio",
                                  carrier_call_id="CA0001", from_number=CALLER, to_number="+14155550100",
                                  status="in_progress", started_at=datetime.now(UTC)))  # fmt: skip
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=SECRET)
    return ToolStack(aws=aws, table=table, invoked_queue=_invoked_queue(aws), gateway=Gateway())
