"""The audit trail through the admin API: reads and changes are recorded before the answer, and served back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.admin_api import config
from switchboard.local_aws import LocalResources
from switchboard.models import CallRecord, Turn
from switchboard.store import table_resource
from switchboard.store.calls import create_call

from ._api import call

NOW = datetime.now(UTC)
SOURCE_IP = "203.0.113.7"  # the captured event's requestContext.http.sourceIp


def seed_call(aws: LocalResources, table: Any, call_id: str, *, recorded: bool = True, **fields: Any) -> None:
    key = f"tenants/ten_a/calls/{call_id}/recording.wav"
    if recorded:
        boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=b"RIFF")
    create_call(table, CallRecord(
        call_id=call_id, tenant_id="ten_a", assistant_id="asst_a", carrier="twilio", carrier_call_id=f"CA{call_id}",
        from_number="+14155550111", to_number="+14155550100", started_at=NOW - timedelta(hours=1),
        transcript=(Turn(role="caller", text="My card is 4111 1111 1111 1111", start_ms=0, end_ms=900),),
        recording_key=key if recorded else None, **fields,
    ))


def audit_log(tenant_id: str = "ten_a", **query: str) -> list[dict[str, Any]]:
    response = call("GET", "/v1/audit", tenant_id=tenant_id, query=query or None)
    assert response.status == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_reading_a_call_records_transcript_and_recording_reads(aws: LocalResources, table: Any,
                                                              tenants: tuple[str, str]) -> None:
    # given a recorded call with a transcript
    seed_call(aws, table, "call_1")
    # when the tenant reads it
    response = call("GET", "/v1/calls/call_1", tenant_id="ten_a")
    # then the audit log says who read what, from where
    assert response.status == 200 and response.json()["recording_url"]
    entries = [(e["actor"], e["action"], e["resource"], e["source_ip"]) for e in audit_log()]
    assert entries == [
        ("api_key:key_test", "transcript.read", "calls/call_1", SOURCE_IP),
        ("api_key:key_test", "recording.read", "calls/call_1/recording", SOURCE_IP),
    ]
    # and tenant B's log has none of it
    assert audit_log("ten_b") == []


def test_a_call_without_a_recording_records_only_the_transcript_read(aws: LocalResources, table: Any,
                                                                     tenants: tuple[str, str]) -> None:
    seed_call(aws, table, "call_1", recorded=False)

    assert call("GET", "/v1/calls/call_1", tenant_id="ten_a").status == 200

    assert [e["action"] for e in audit_log()] == ["transcript.read"]


def test_configuration_changes_are_recorded_without_their_values(table: Any, tenants: tuple[str, str]) -> None:
    # given an assistant created, renamed and deleted, and credentials set
    created = call("POST", "/v1/assistants", tenant_id="ten_a", body={"name": "Desk", "system_prompt": "Hi"})
    assistant_id = created.json()["assistant_id"]
    call("PATCH", f"/v1/assistants/{assistant_id}", tenant_id="ten_a", body={"name": "Front desk"})
    call("DELETE", f"/v1/assistants/{assistant_id}", tenant_id="ten_a")
    call("PUT", "/v1/credentials/openai", tenant_id="ten_a", body={"values": {"api_key": "sk-test-secret-value"}})
    # then each is a config.change with the operation and the names of what changed
    entries = audit_log()
    assert [(e["action"], e["resource"], e["details"]) for e in entries] == [
        ("config.change", f"assistants/{assistant_id}", {"operation": "create"}),
        ("config.change", f"assistants/{assistant_id}", {"operation": "update", "fields": "name"}),
        ("config.change", f"assistants/{assistant_id}", {"operation": "delete"}),
        ("config.change", "credentials/openai", {"operation": "put", "fields": "api_key"}),
    ]
    assert "sk-test-secret-value" not in str(entries)


def test_operator_changes_are_recorded_as_the_operator(table: Any, tenants: tuple[str, str],
                                                       operator_key: str) -> None:
    issued = call("POST", "/v1/tenants/ten_a/api-keys", body={"name": "ci"},
                  headers={"Authorization": f"Bearer {operator_key}"}, authorizer_context={"role": "operator"})
    assert issued.status == 201, issued.text

    entries = audit_log()

    assert [(e["actor"], e["resource"]) for e in entries] == [("operator", f"api-keys/{issued.json()['key_id']}")]


def test_the_log_pages_with_a_cursor_and_rejects_bad_input(aws: LocalResources, table: Any,
                                                          tenants: tuple[str, str]) -> None:
    seed_call(aws, table, "call_1", recorded=False)
    for _ in range(3):
        call("GET", "/v1/calls/call_1", tenant_id="ten_a")

    first = call("GET", "/v1/audit", tenant_id="ten_a", query={"limit": "2"})
    second = call("GET", "/v1/audit", tenant_id="ten_a", query={"limit": "2", "cursor": first.json()["next_cursor"]})
    backwards = call("GET", "/v1/audit", tenant_id="ten_a",
                     query={"since": NOW.isoformat(), "until": (NOW - timedelta(days=1)).isoformat()})
    forged = call("GET", "/v1/audit", tenant_id="ten_a", query={"cursor": "bm90LWEtY3Vyc29y"})

    assert first.status == 200 and len(first.json()["items"]) == 2
    assert second.status == 200 and len(second.json()["items"]) == 1 and second.json()["next_cursor"] is None
    ids = [e["entry_id"] for e in first.json()["items"] + second.json()["items"]]
    assert len(set(ids)) == 3
    for response in (backwards, forged):
        assert response.status == 400 and response.content_type == "application/problem+json", response.text


def test_when_the_audit_trail_is_unavailable_no_transcript_is_served(
    aws: LocalResources, table: Any, tenants: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the audit writes go to a table DynamoDB does not have (a real ResourceNotFoundException)
    seed_call(aws, table, "call_1")
    monkeypatch.setattr(config, "audit_table", lambda: table_resource("sb-test-no-such-table"))
    # when the call is read
    response = call("GET", "/v1/calls/call_1", tenant_id="ten_a")
    # then the request fails with 503 and carries neither the transcript nor a recording URL
    assert response.status == 503, response.text
    assert response.content_type == "application/problem+json"
    assert "4111" not in response.text and "recording" not in response.json()["detail"]
    assert "X-Amz-Signature" not in response.text


def test_an_expired_call_is_404_and_left_out_of_lists(aws: LocalResources, table: Any,
                                                     tenants: tuple[str, str]) -> None:
    # given a call whose retention has passed (DynamoDB's TTL sweep has not deleted it yet) and a live one
    seed_call(aws, table, "call_old", recorded=False, expires_at=int(NOW.timestamp()) - 1)
    seed_call(aws, table, "call_new", recorded=False, expires_at=int(NOW.timestamp()) + 3600)
    # when the tenant reads and lists calls
    old = call("GET", "/v1/calls/call_old", tenant_id="ten_a")
    listed = call("GET", "/v1/calls", tenant_id="ten_a")
    # then the expired call is not found and not listed, and no read of it was audited
    assert old.status == 404 and old.content_type == "application/problem+json"
    assert [c["call_id"] for c in listed.json()["items"]] == ["call_new"]
    assert [(e["resource"], e["details"]) for e in audit_log()] == [
        ("calls", {"calls": 1, "with_transcript": 1})
    ]
