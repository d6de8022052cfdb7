"""X-Twilio-Signature verification over candidate public URLs."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from switchboard.telephony.errors import WebhookSignatureError
from switchboard.telephony.twilio_signature import parse_form, verify_twilio_signature

TOKEN = "twilio-test-auth-token"
URL = "https://api.example.com/twilio/voice"
BODY = "CallSid=CA123&From=%2B14155550111&To=%2B14155550100&CallerName="


def sign(url: str, body: str, token: str = TOKEN) -> str:
    params = {k: v[0] for k, v in parse_form(body).items()}
    return str(RequestValidator(token).compute_signature(url, params))


def test_a_valid_signature_names_the_url_it_was_made_for() -> None:
    signature = sign(URL, BODY)

    candidates = ["https://other.example.com/twilio/voice", URL]

    matched = verify_twilio_signature(TOKEN, candidates, parse_form(BODY), signature)

    assert matched == URL


def test_blank_parameters_are_part_of_the_signed_content() -> None:
    params = parse_form(BODY)

    assert params["CallerName"] == [""]


@pytest.mark.parametrize(
    ("token", "body"),
    [("wrong-token", BODY), (TOKEN, BODY.replace("CA123", "CA999"))],
    ids=["other-token", "tampered-param"],
)
def test_a_signature_that_does_not_match_is_invalid(token: str, body: str) -> None:
    signature = sign(URL, BODY, token=token)

    with pytest.raises(WebhookSignatureError) as caught:
        verify_twilio_signature(TOKEN, [URL], parse_form(body), signature)

    assert caught.value.reason == "invalid"


def test_a_signature_for_a_url_not_in_the_candidates_is_invalid() -> None:
    signature = sign("https://attacker.example.net/twilio/voice", BODY)

    with pytest.raises(WebhookSignatureError) as caught:
        verify_twilio_signature(TOKEN, [URL], parse_form(BODY), signature)

    assert caught.value.reason == "invalid"


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_is_rejected(signature: str | None) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        verify_twilio_signature(TOKEN, [URL], parse_form(BODY), signature)

    assert caught.value.reason == "missing"


def test_an_empty_auth_token_never_validates() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        verify_twilio_signature("", [URL], parse_form(BODY), sign(URL, BODY, token="x"))

    assert caught.value.reason == "unconfigured"
