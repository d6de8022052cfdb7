"""Tenant isolation: tenant A's key gets 404 for every one of tenant B's assistants, numbers and
calls, on every route — and no route shows or changes B's data (records, audit entries, cost lines,
stored objects, secrets).

Driven from the served OpenAPI document: every operation must have a case below, so a new route
fails :func:`test_every_route_has_an_isolation_case` until someone decides how it is isolated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote

import boto3
import pytest

from functions.admin_api.handler import openapi_document
from switchboard import audit
from switchboard.cost_ledger import record_call_cost
from switchboard.models import CallCost, CallRecord, CostLine, PhoneNumber
from switchboard.store import attach_number, issue_api_key, put_credentials
from switchboard.store.calls import create_call

from ._api import call, number_path
from .conftest import Stack, module_stack

A, B = "ten_a", "ten_b"
B_ASSISTANT, B_NUMBER, B_CALL, B_SECRET = "asst_b", "+14155550200", "call_b", "b-deepgram-secret"
A_NUMBER = "+14155550100"
B_CALLER = "+14155550111"
B_OBJECT = f"tenants/{B}/calls/{B_CALL}/recording.wav"
B_COST_DAY = "2026-11-01"
B_MARKERS = (B, B_ASSISTANT, B_NUMBER, B_CALL, B_SECRET)

Expect = Literal["not_found", "own_data", "operator_only"]


@dataclass(frozen=True)
class Case:
    expect: Expect
    path: str | None = None
    """the concrete path (B's ids filled in); default: the template"""
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    """what else must not appear in the answer (B's data that carries no B id)"""


CASES: dict[tuple[str, str], Case] = {
    # B's resources named in the path
    ("GET", "/v1/assistants/{assistant_id}"): Case("not_found", f"/v1/assistants/{B_ASSISTANT}"),
    ("PATCH", "/v1/assistants/{assistant_id}"): Case(
        "not_found", f"/v1/assistants/{B_ASSISTANT}", body={"name": "hijacked"}
    ),
    ("DELETE", "/v1/assistants/{assistant_id}"): Case("not_found", f"/v1/assistants/{B_ASSISTANT}"),
    ("GET", "/v1/numbers/{number}"): Case("not_found", number_path(B_NUMBER)),
    ("PATCH", "/v1/numbers/{number}"): Case("not_found", number_path(B_NUMBER), body={"assistant_id": None}),
    ("DELETE", "/v1/numbers/{number}"): Case("not_found", number_path(B_NUMBER)),
    ("GET", "/v1/calls/{call_id}"): Case("not_found", f"/v1/calls/{B_CALL}"),
    ("DELETE", "/v1/calls/{call_id}"): Case("not_found", f"/v1/calls/{B_CALL}", query={"crm": "true"}),
    ("DELETE", "/v1/credentials/{provider}"): Case("not_found", "/v1/credentials/deepgram"),
    # B's resources named in the body
    ("POST", "/v1/numbers"): Case(
        "not_found", body={"number": "+14155550300", "carrier": "telnyx", "assistant_id": B_ASSISTANT}
    ),
    ("POST", "/v1/numbers/provision"): Case("not_found", body={"area_code": "415", "assistant_id": B_ASSISTANT}),
    ("POST", "/v1/calls"): Case(
        "not_found", body={"assistant_id": B_ASSISTANT, "to": "+14155550999", "from": B_NUMBER}
    ),
    # routes that only ever see the caller's own tenant (B's ids as filters must find nothing)
    ("GET", "/v1/assistants"): Case("own_data"),
    ("POST", "/v1/assistants"): Case("own_data", body={"name": "Mine", "system_prompt": "Hi", "template": None}),
    ("GET", "/v1/numbers"): Case("own_data"),
    ("GET", "/v1/calls"): Case("own_data", query={"number": B_NUMBER}),
    ("PUT", "/v1/credentials/{provider}"): Case(
        "own_data", "/v1/credentials/openai", body={"values": {"api_key": "a"}}
    ),
    ("GET", "/v1/credentials"): Case("own_data"),
    ("GET", "/v1/tenant"): Case("own_data"),
    ("GET", "/v1/templates"): Case("own_data"),
    ("GET", "/v1/audit"): Case("own_data"),
    ("GET", "/v1/costs"): Case(
        "own_data", query={"since": B_COST_DAY, "until": B_COST_DAY}, absent=("0.25", "stt")
    ),
    # erasing by B's caller's number erases nothing of B's (the snapshot below includes B's objects)
    ("POST", "/v1/gdpr/deletions"): Case("own_data", body={"phone": B_CALLER, "crm": True}),
    # operator routes: a tenant key (no operator key) is refused outright
    ("POST", "/v1/tenants"): Case("operator_only", body={"name": "Evil", "tenant_id": B}),
    ("GET", "/v1/tenants/{tenant_id}"): Case("operator_only", f"/v1/tenants/{B}"),
    ("POST", "/v1/tenants/{tenant_id}/api-keys"): Case("operator_only", f"/v1/tenants/{B}/api-keys", body={}),
    ("GET", "/v1/tenants/{tenant_id}/api-keys"): Case("operator_only", f"/v1/tenants/{B}/api-keys"),
    ("DELETE", "/v1/tenants/{tenant_id}/api-keys/{key_id}"): Case("operator_only", f"/v1/tenants/{B}/api-keys/key_b"),
}


def _operations() -> set[tuple[str, str]]:
    document = json.loads(openapi_document())
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_every_route_has_an_isolation_case() -> None:
    assert _operations() == set(CASES)


def _snapshot_of_b(stack: Stack) -> tuple[list[dict[str, Any]], str, list[str]]:
    items = [
        item
        for item in stack.table.scan(ConsistentRead=True)["Items"]
        if str(item["pk"]).startswith((f"TENANT#{B}", f"AUDIT#{B}#")) or item["pk"] == f"NUMBER#{B_NUMBER}"
    ]
    secret = stack.secrets.get_secret_value(SecretId=f"switchboard/test/tenants/{B}/deepgram")["SecretString"]
    s3 = boto3.client("s3")
    listed = s3.list_object_versions(Bucket=stack.resources.bucket, Prefix=f"tenants/{B}/")
    objects = sorted(f"{v['Key']}@{v['VersionId']}" for v in listed.get("Versions", []))
    return sorted(items, key=lambda i: (i["pk"], i["sk"])), str(secret), objects


@pytest.fixture(scope="module")
def stack(moto_url: str) -> Iterator[Stack]:
    """B owns an assistant, a number, a call, a key and deepgram credentials; A has Twilio set up.

    One world for every case: each case also proves it left B's records and secret unchanged."""
    with module_stack(moto_url, "sb-iso") as stack:
        table, secrets, twilio = stack.table, stack.secrets, stack.twilio
        attach_number(table, B, PhoneNumber(number=B_NUMBER, tenant_id=B, carrier="twilio", assistant_id=B_ASSISTANT))
        create_call(
            table,
            CallRecord(
                call_id=B_CALL,
                tenant_id=B,
                assistant_id=B_ASSISTANT,
                carrier="twilio",
                carrier_call_id="CAb",
                from_number=B_CALLER,
                to_number=B_NUMBER,
                started_at=datetime(2026, 11, 1, tzinfo=UTC),
                ended_at=datetime(2026, 11, 1, 0, 5, tzinfo=UTC),
            ),
        )
        boto3.client("s3").put_object(Bucket=stack.resources.bucket, Key=B_OBJECT, Body=b"RIFF-b")
        cost = CallCost(price_table_version="v1", total_usd=0.25,
                        lines=(CostLine(layer="stt", provider="deepgram", model="nova-3", quantity=1, unit="minute",
                                        usd=0.25),))
        record_call_cost(table, B, B_CALL, cost, started_at=datetime(2026, 11, 1, tzinfo=UTC))
        audit.record(table, tenant_id=B, actor="api_key:key_b", action="transcript.read",
                     resource=f"calls/{B_CALL}", source_ip="198.51.100.2", at=datetime.now(UTC))
        issue_api_key(table, B)
        put_credentials(table, secrets, stage="test", tenant_id=B, provider="deepgram", values={"api_key": B_SECRET})
        twilio_creds = {"account_sid": twilio.account_sid, "auth_token": twilio.auth_token}
        put_credentials(table, secrets, stage="test", tenant_id=A, provider="twilio", values=twilio_creds)
        twilio.add_incoming_number(B_NUMBER)
        twilio.add_available_number("+14155550301")
        yield stack


@pytest.mark.parametrize("operation", sorted(CASES), ids=[f"{m} {p}" for m, p in sorted(CASES)])
def test_tenant_a_cannot_reach_tenant_b(operation: tuple[str, str], stack: Stack) -> None:
    method, template = operation
    case = CASES[operation]
    twilio = stack.twilio
    before = _snapshot_of_b(stack)

    path = case.path or template
    response = call(method, path, tenant_id=A, body=case.body, query=case.query or None)

    if case.expect == "not_found":
        assert response.status == 404, response.text
        assert response.content_type == "application/problem+json"
    elif case.expect == "operator_only":
        assert response.status in {401, 403}, response.text
    else:
        assert response.status < 400, response.text
    sent = unquote(path) + json.dumps(case.body) + json.dumps(case.query)
    leaked = [marker for marker in B_MARKERS if marker not in sent and marker in response.text]
    assert leaked == [], response.text
    assert [text for text in case.absent if text in response.text] == [], response.text
    assert _snapshot_of_b(stack) == before
    assert twilio.requests_to("/Calls.json") == [] and twilio.requests_to("/IncomingPhoneNumbers.json", "POST") == []
