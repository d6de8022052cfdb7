"""POST /twilio/voice: signature, routing, limits, idempotency, TwiML and call.started."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from switchboard.events import CallStarted
from switchboard.store.calls import get_call
from switchboard.stream_token import verify_stream_token

from .conftest import CALLER, MEDIA_URL, PUBLIC_URL, TWILIO_NUMBER, TWILIO_TOKEN, Stack, template_form


def voice_params(**overrides: str) -> dict[str, str]:
    return {**template_form("call_setup_twilio_voice"), **overrides}


def twiml(response: dict[str, Any]) -> ET.Element:
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/xml"
    return ET.fromstring(response["body"])


def stream_of(response: dict[str, Any]) -> tuple[ET.Element, dict[str, str]]:
    stream = twiml(response).find("./Connect/Stream")
    assert stream is not None, response["body"]
    return stream, {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}


def test_a_signed_call_gets_a_stream_to_the_worker_with_a_valid_token(stack: Stack) -> None:
    response = stack.twilio("/twilio/voice", voice_params(CallSid="CA1"))

    stream, parameters = stream_of(response)
    claims = verify_stream_token(stack.stream_key, parameters["token"])
    call = get_call(stack.table, "ten_a", parameters["call_id"])
    assert stream.get("url") == f"{MEDIA_URL}/twilio"
    assert stream.get("statusCallback") == f"{PUBLIC_URL}/twilio/status"
    assert (claims.tenant_id, claims.call_id, claims.assistant_id) == ("ten_a", call.call_id, "asst_1")
    assert (call.carrier_call_id, call.status, call.direction) == ("CA1", "ringing", "inbound")
    assert (call.from_number, call.to_number) == (CALLER, TWILIO_NUMBER)
    assert call.expires_at == int(call.started_at.timestamp()) + 14 * 86_400


def test_a_started_call_publishes_call_started_and_nothing_for_post_call(stack: Stack) -> None:
    _, parameters = stream_of(stack.twilio("/twilio/voice", voice_params(CallSid="CA1")))

    started = stack.started_events()
    assert len(started) == 1
    event = started[0]
    assert isinstance(event, CallStarted)
    assert (event.call_id, event.tenant_id, event.assistant_id, event.carrier) == (
        parameters["call_id"], "ten_a", "asst_1", "twilio",
    )
    assert stack.post_call_events() == []


def test_a_twilio_retry_of_the_same_call_sid_reuses_the_call(stack: Stack) -> None:
    _, first = stream_of(stack.twilio("/twilio/voice", voice_params(CallSid="CA1")))
    _, retry = stream_of(stack.twilio("/twilio/voice", voice_params(CallSid="CA1")))

    assert retry["call_id"] == first["call_id"]
    assert verify_stream_token(stack.stream_key, retry["token"]).call_id == first["call_id"]
    assert len(stack.call_items()) == 1
    assert len(stack.started_events()) == 1


def test_an_invalid_signature_is_forbidden_and_logged_without_secrets(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    response = stack.twilio("/twilio/voice", voice_params(CallSid="CA1"), token="not-the-auth-token")

    logged = capsys.readouterr().out
    assert response["statusCode"] == 403
    assert "signature_invalid" in logged
    assert TWILIO_TOKEN not in logged
    assert stack.call_items() == []
    assert stack.started_events() == []


def test_a_missing_signature_is_forbidden(stack: Stack) -> None:
    response = stack.twilio("/twilio/voice", voice_params(CallSid="CA1"), signature=None)

    assert response["statusCode"] == 403
    assert stack.call_items() == []


def test_a_signature_for_other_parameters_is_forbidden(stack: Stack) -> None:
    from twilio.request_validator import RequestValidator

    forged = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{PUBLIC_URL}/twilio/voice", voice_params(CallSid="CA-other")
    )
    response = stack.twilio("/twilio/voice", voice_params(CallSid="CA1"), signature=forged)

    assert response["statusCode"] == 403


@pytest.mark.parametrize("to", ["+14155559999", "+14155550300"], ids=["unclaimed", "no-assistant"])
def test_an_unknown_or_unassigned_number_hears_a_message_then_hangs_up(stack: Stack, to: str) -> None:
    from switchboard.models import PhoneNumber
    from switchboard.store import attach_number

    attach_number(stack.table, "ten_a", PhoneNumber(number="+14155550300", tenant_id="ten_a", carrier="twilio"))

    root = twiml(stack.twilio("/twilio/voice", voice_params(CallSid="CA1", To=to, Called=to)))

    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "not in service" in (root[0].text or "")
    assert stack.call_items() == []
    assert stack.started_events() == []


def test_calls_over_the_tenant_limit_hear_a_busy_message_and_nothing_is_emitted(stack: Stack) -> None:
    stream_of(stack.twilio("/twilio/voice", voice_params(CallSid="CA1")))
    stream_of(stack.twilio("/twilio/voice", voice_params(CallSid="CA2")))  # the limit is 2
    stack.started_events()

    root = twiml(stack.twilio("/twilio/voice", voice_params(CallSid="CA3")))

    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "busy" in (root[0].text or "")
    assert len(stack.call_items()) == 2
    assert stack.started_events() == []


def test_an_outbound_call_routes_by_its_caller_id_and_keeps_the_admin_api_ids(stack: Stack) -> None:
    params = voice_params(CallSid="CA-out", Direction="outbound-api", From=TWILIO_NUMBER, To="+14155550999")

    response = stack.twilio("/twilio/voice", params, query={"assistant_id": "asst_2", "call_id": "call_out1"})

    _, parameters = stream_of(response)
    call = get_call(stack.table, "ten_a", "call_out1")
    assert parameters["call_id"] == "call_out1"
    assert (call.direction, call.assistant_id, call.to_number) == ("outbound", "asst_2", "+14155550999")
    assert verify_stream_token(stack.stream_key, parameters["token"]).assistant_id == "asst_2"


def test_an_outbound_call_cannot_name_another_tenants_assistant(stack: Stack) -> None:
    params = voice_params(CallSid="CA-out", Direction="outbound-api", From=TWILIO_NUMBER, To="+14155550999")

    root = twiml(stack.twilio("/twilio/voice", params, query={"assistant_id": "asst_of_b"}))

    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert stack.call_items() == []


# --- carrier fallback: the URL Twilio actually called is what it signed --------------------


def test_the_fallback_host_the_carrier_called_is_accepted(stack: Stack) -> None:
    response = stack.twilio("/twilio/voice", voice_params(CallSid="CA1"), host="voice-fallback.switchboard.test")

    stream, _ = stream_of(response)
    assert stream.get("statusCallback") == "https://voice-fallback.switchboard.test/twilio/status"


def test_a_listed_public_base_url_is_accepted(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_API_URLS", "https://calls.example.com/fallback")

    response = stack.twilio(
        "/twilio/voice", voice_params(CallSid="CA1"), signed_url="https://calls.example.com/fallback/twilio/voice"
    )

    stream, _ = stream_of(response)
    assert stream.get("statusCallback") == "https://calls.example.com/fallback/twilio/status"


def test_a_signature_for_an_unlisted_url_is_forbidden(stack: Stack) -> None:
    response = stack.twilio(
        "/twilio/voice", voice_params(CallSid="CA1"), signed_url="https://elsewhere.example.net/twilio/voice"
    )

    assert response["statusCode"] == 403
