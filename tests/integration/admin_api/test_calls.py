"""Calls through the admin API: list/get with a presigned recording URL, and outbound dialing via Twilio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import requests

from fakes.twilio_rest import FakeTwilioRest
from switchboard.local_aws import LocalResources
from switchboard.models import CallRecord, Turn
from switchboard.store.calls import create_call

from ._api import call
from .conftest import PUBLIC_URL

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
OURS = "+14155550100"


def _record(call_id: str, *, tenant_id: str = "ten_a", minutes: int = 0, **fields: Any) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        tenant_id=tenant_id,
        assistant_id=f"asst_{tenant_id[-1]}",
        carrier="twilio",
        carrier_call_id=f"CA{call_id}",
        from_number="+14155550111",
        to_number=OURS,
        started_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def test_get_returns_the_transcript_and_a_presigned_recording_url(
    aws: LocalResources, table: Any, tenants: tuple[str, str]
) -> None:
    key = "recordings/ten_a/call_1.wav"
    boto3.client("s3", endpoint_url=aws.endpoint_url).put_object(Bucket=aws.bucket, Key=key, Body=b"RIFF-audio")
    transcript = (Turn(role="caller", text="Hi", start_ms=0, end_ms=500),)
    create_call(table, _record("call_1", transcript=transcript, recording_key=key))

    response = call("GET", "/v1/calls/call_1", tenant_id="ten_a")

    assert response.status == 200, response.text
    body = response.json()
    assert body["transcript"][0]["text"] == "Hi"
    assert requests.get(body["recording_url"], timeout=10).content == b"RIFF-audio"


def test_list_filters_by_time_and_pages(table: Any, tenants: tuple[str, str]) -> None:
    for i in range(4):
        create_call(table, _record(f"call_{i}", minutes=i))
    create_call(table, _record("call_b", tenant_id="ten_b"))

    since = (T0 + timedelta(minutes=1)).isoformat()
    first = call("GET", "/v1/calls", tenant_id="ten_a", query={"since": since, "limit": "2"})
    assert first.status == 200, first.text
    second = call("GET", "/v1/calls", tenant_id="ten_a", query={"since": since, "cursor": first.json()["next_cursor"]})

    ids = [c["call_id"] for c in first.json()["items"] + second.json()["items"]]
    assert ids == ["call_3", "call_2", "call_1"]


def test_naive_timestamps_are_rejected_with_422(tenants: tuple[str, str]) -> None:
    response = call("GET", "/v1/calls", tenant_id="ten_a", query={"since": "2026-11-01T09:00:00"})

    assert response.status == 422 and response.content_type == "application/problem+json"


def test_outbound_call_dials_through_twilio_into_the_stream_flow(
    table: Any, tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    twilio.add_incoming_number(OURS)
    creds = {"values": {"account_sid": twilio.account_sid, "auth_token": twilio.auth_token}}
    call("PUT", "/v1/credentials/twilio", tenant_id="ten_a", body=creds)
    attached = call("POST", "/v1/numbers", tenant_id="ten_a", body={"number": OURS, "carrier": "twilio"})
    assert attached.status == 201, attached.text

    response = call(
        "POST", "/v1/calls", tenant_id="ten_a", body={"assistant_id": "asst_a", "to": "+14155550999", "from": OURS}
    )

    assert response.status == 201, response.text
    body = response.json()
    created = twilio.state.calls[body["carrier_call_id"]]
    assert (created["to"], created["from"]) == ("+14155550999", OURS)
    url = urlsplit(created["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{PUBLIC_URL}/twilio/voice"
    assert parse_qs(url.query) == {"direction": ["outbound"], "assistant_id": ["asst_a"], "call_id": [body["call_id"]]}
    assert created["status_callback"] == f"{PUBLIC_URL}/twilio/status"


def test_outbound_from_a_number_the_tenant_does_not_own_is_404(
    tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    response = call(
        "POST", "/v1/calls", tenant_id="ten_a", body={"assistant_id": "asst_a", "to": "+14155550999", "from": OURS}
    )

    assert response.status == 404
    assert twilio.requests_to("/Calls.json") == []
