"""Telnyx Ed25519 webhook verification."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from switchboard.telephony.errors import WebhookSignatureError
from switchboard.telephony.telnyx_signature import load_public_key, verify_telnyx_signature

NOW = 1_800_000_000
BODY = b'{"data":{"event_type":"call.initiated"}}'


@pytest.fixture
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(key: Ed25519PrivateKey, timestamp: int, body: bytes = BODY) -> str:
    return base64.b64encode(key.sign(f"{timestamp}|".encode() + body)).decode()


def reason(key_b64: str, body: bytes, signature: str | None, timestamp: str | None) -> str:
    with pytest.raises(WebhookSignatureError) as caught:
        verify_telnyx_signature(load_public_key(key_b64), body, signature, timestamp, now=NOW)
    return caught.value.reason


def test_a_fresh_valid_signature_passes(private_key: Ed25519PrivateKey) -> None:
    key = load_public_key(public_b64(private_key))

    verify_telnyx_signature(key, BODY, sign(private_key, NOW - 5), str(NOW - 5), now=NOW)


def test_a_signature_from_another_key_is_invalid(private_key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    assert reason(public_b64(private_key), BODY, sign(other, NOW), str(NOW)) == "invalid"


def test_a_changed_body_is_invalid(private_key: Ed25519PrivateKey) -> None:
    assert reason(public_b64(private_key), BODY + b" ", sign(private_key, NOW), str(NOW)) == "invalid"


def test_a_resigned_timestamp_is_invalid(private_key: Ed25519PrivateKey) -> None:
    assert reason(public_b64(private_key), BODY, sign(private_key, NOW - 10), str(NOW)) == "invalid"


@pytest.mark.parametrize("age_s", [301, -301])
def test_timestamps_outside_the_tolerance_are_stale(private_key: Ed25519PrivateKey, age_s: int) -> None:
    sent = NOW - age_s
    assert reason(public_b64(private_key), BODY, sign(private_key, sent), str(sent)) == "stale"


@pytest.mark.parametrize(("signature", "timestamp"), [(None, str(NOW)), ("c2ln", None), ("", "")])
def test_missing_headers_are_rejected(
    private_key: Ed25519PrivateKey, signature: str | None, timestamp: str | None
) -> None:
    assert reason(public_b64(private_key), BODY, signature, timestamp) == "missing"


def test_garbage_headers_are_malformed(private_key: Ed25519PrivateKey) -> None:
    assert reason(public_b64(private_key), BODY, "not base64!!", str(NOW)) == "malformed"
    assert reason(public_b64(private_key), BODY, sign(private_key, NOW), "yesterday") == "malformed"


@pytest.mark.parametrize("key", ["", "c2hvcnQ=", "not base64!!"])
def test_an_unusable_public_key_is_reported_as_unconfigured(key: str) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        load_public_key(key)
    assert caught.value.reason == "unconfigured"
