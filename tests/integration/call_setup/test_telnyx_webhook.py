"""POST /telnyx/webhook: Ed25519 signatures, answer + bidirectional streaming, busy, unknown numbers, hangups."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from switchboard.events import CallEnded, CallStarted
from switchboard.store.calls import get_call, mark_in_progress
from switchboard.store.leases import live_lease_count
from switchboard.stream_token import verify_stream_token

from .conftest import CALLER, MEDIA_URL, TELNYX_NUMBER, Stack

CCID = "v3:call-control-1"


def initiated(stack: Stack, ccid: str = CCID, to: str = TELNYX_NUMBER, **signing: Any) -> dict[str, Any]:
    event = stack.telnyx_event(
        "call.initiated", {"call_control_id": ccid, "to": to, "from": CALLER, "direction": "incoming"}, **signing
    )
    return stack.invoke(event)


def follow_up(stack: Stack, event_type: str, ccid: str, client_state: str | None, **payload: Any) -> dict[str, Any]:
    return stack.invoke(
        stack.telnyx_event(event_type, {"call_control_id": ccid, "client_state": client_state, **payload})
    )


def answer_state(stack: Stack, ccid: str = CCID) -> str:
    (answer,) = [c for c in stack.telnyx.commands_for(ccid, "answer") if not c.duplicate]
    return str(answer.body["client_state"])


def test_an_incoming_call_is_answered_then_streamed_bidirectionally_with_a_token(stack: Stack) -> None:
    assert initiated(stack)["statusCode"] == 200
    state = answer_state(stack)
    call_id = base64.b64decode(state).decode()

    assert follow_up(stack, "call.answered", CCID, state)["statusCode"] == 200

    (start,) = stack.telnyx.commands_for(CCID, "streaming_start")
    body = start.body
    assert body["stream_url"] == f"{MEDIA_URL}/telnyx"
    assert (body["stream_track"], body["stream_codec"]) == ("inbound_track", "PCMU")
    assert (body["stream_bidirectional_mode"], body["stream_bidirectional_codec"]) == ("rtp", "PCMU")
    parameters = {p["name"]: p["value"] for p in body["custom_parameters"]}
    claims = verify_stream_token(stack.stream_key, parameters["token"])
    assert (claims.tenant_id, claims.call_id, claims.assistant_id) == ("ten_a", call_id, "asst_1")
    assert parameters["call_id"] == call_id
    call = get_call(stack.table, "ten_a", call_id)
    assert (call.carrier, call.carrier_call_id, call.to_number) == ("telnyx", CCID, TELNYX_NUMBER)


def test_an_answered_call_publishes_call_started(stack: Stack) -> None:
    initiated(stack)

    (event,) = stack.started_events()

    assert isinstance(event, CallStarted)
    assert (event.carrier, event.to_number, event.from_number) == ("telnyx", TELNYX_NUMBER, CALLER)


def test_a_retried_call_initiated_makes_one_call_and_a_duplicate_command(stack: Stack) -> None:
    initiated(stack)
    initiated(stack)

    answers = stack.telnyx.commands_for(CCID, "answer")
    assert len(stack.call_items()) == 1
    assert len(stack.started_events()) == 1
    assert [a.duplicate for a in answers] == [False, True]


def test_commands_authenticate_with_the_api_key_from_the_carrier_secret(stack: Stack) -> None:
    initiated(stack)

    assert stack.telnyx.commands and all(c.authorized for c in stack.telnyx.commands)


@pytest.mark.parametrize(
    "signing",
    [
        {"key": Ed25519PrivateKey.generate()},
        {"signed_at": time.time() - 301},
    ],
    ids=["other-key", "stale-timestamp"],
)
def test_badly_signed_webhooks_are_forbidden_and_change_nothing(stack: Stack, signing: dict[str, Any]) -> None:
    response = initiated(stack, **signing)

    assert response["statusCode"] == 403
    assert stack.telnyx.commands == []
    assert stack.call_items() == []


def test_a_webhook_without_signature_headers_is_forbidden(stack: Stack) -> None:
    event = stack.telnyx_event("call.initiated", {"call_control_id": CCID})
    del event["headers"]["telnyx-signature-ed25519"]

    assert stack.invoke(event)["statusCode"] == 403


def test_a_tampered_body_is_forbidden(stack: Stack) -> None:
    event = stack.telnyx_event("call.initiated", {"call_control_id": CCID, "to": TELNYX_NUMBER})
    event["body"] = event["body"].replace(TELNYX_NUMBER, "+14155550100")

    assert stack.invoke(event)["statusCode"] == 403


def test_a_busy_tenant_rejects_the_call_as_user_busy(stack: Stack) -> None:
    initiated(stack, "v3:one")
    initiated(stack, "v3:two")
    stack.started_events()

    initiated(stack, "v3:three")

    (reject,) = stack.telnyx.commands_for("v3:three", "reject")
    assert reject.body["cause"] == "USER_BUSY"
    assert stack.telnyx.commands_for("v3:three", "answer") == []
    assert stack.started_events() == []


def test_an_unknown_number_is_answered_told_and_hung_up(stack: Stack) -> None:
    initiated(stack, to="+14155559999")
    state = answer_state(stack)

    follow_up(stack, "call.answered", CCID, state)
    (speak,) = stack.telnyx.commands_for(CCID, "speak")
    follow_up(stack, "call.speak.ended", CCID, speak.body["client_state"])

    assert "not in service" in speak.body["payload"]
    assert len(stack.telnyx.commands_for(CCID, "hangup")) == 1
    assert stack.telnyx.commands_for(CCID, "streaming_start") == []
    assert stack.call_items() == []


def test_a_hangup_before_streaming_reports_call_ended(stack: Stack) -> None:
    initiated(stack)
    call_id = base64.b64decode(answer_state(stack)).decode()

    follow_up(
        stack, "call.hangup", CCID, None, hangup_cause="originator_cancel",
        start_time="2026-11-25T03:30:00Z", end_time="2026-11-25T03:30:04.500000Z",
    )

    (event,) = stack.post_call_events()
    assert isinstance(event, CallEnded)
    assert (event.call_id, event.carrier, event.reported_by) == (call_id, "telnyx", "status_callback")
    assert (event.end_reason, event.usage.call_seconds) == ("caller_hung_up", 4.5)
    assert live_lease_count(stack.table, "ten_a") == 0


def test_a_hangup_of_a_streamed_call_leaves_call_ended_to_the_worker(stack: Stack) -> None:
    initiated(stack)
    call_id = base64.b64decode(answer_state(stack)).decode()
    mark_in_progress(stack.table, "ten_a", call_id)

    follow_up(stack, "call.hangup", CCID, None, hangup_cause="normal_clearing")

    assert stack.post_call_events() == []
    assert live_lease_count(stack.table, "ten_a") == 0


def test_a_failed_answer_makes_telnyx_retry_and_the_retry_succeeds(stack: Stack) -> None:
    stack.telnyx.fail_next("answer", 503)

    first = initiated(stack)
    retry = initiated(stack)

    assert first["statusCode"] == 502
    assert retry["statusCode"] == 200
    assert len(stack.call_items()) == 1
    assert [a.duplicate for a in stack.telnyx.commands_for(CCID, "answer")] == [False, False]
