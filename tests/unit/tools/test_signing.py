"""Request signing: HMAC-SHA256 over "{timestamp}.{body}", verified in constant time with a replay window."""

from __future__ import annotations

import hashlib
import hmac

from switchboard.tools import sign, signed_headers, verify

SECRET = "whsec_test_0123456789"
BODY = b'{"call":{"id":"call_1"},"arguments":{"date":"friday"}}'
TS = 1_764_067_200


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, TS, BODY) == expected


def test_headers_carry_timestamp_versioned_signature_and_idempotency_key() -> None:
    headers = signed_headers(SECRET, BODY, idempotency_key="call_1:tc_1", timestamp=TS)
    assert headers == {
        "X-Switchboard-Timestamp": str(TS),
        "X-Switchboard-Signature": f"v1={sign(SECRET, TS, BODY)}",
        "Idempotency-Key": "call_1:tc_1",
    }


def test_a_tool_without_a_secret_gets_no_signature_header() -> None:
    headers = signed_headers(None, BODY, idempotency_key="k", timestamp=TS)
    assert "X-Switchboard-Signature" not in headers


def test_verify_accepts_the_header_as_sent() -> None:
    header = signed_headers(SECRET, BODY, idempotency_key="k", timestamp=TS)["X-Switchboard-Signature"]
    assert verify(SECRET, str(TS), BODY, header, now=TS + 10)
    assert verify(SECRET, TS, BODY.decode(), sign(SECRET, TS, BODY), now=TS)  # bare hex, str body


def test_verify_accepts_any_of_several_signatures_during_rotation() -> None:
    header = f"v1={sign('old-secret', TS, BODY)}, v1={sign(SECRET, TS, BODY)}"
    assert verify(SECRET, TS, BODY, header, now=TS)


def test_verify_rejects_a_changed_body_a_wrong_secret_and_a_stale_timestamp() -> None:
    header = f"v1={sign(SECRET, TS, BODY)}"
    assert not verify(SECRET, TS, BODY + b" ", header, now=TS)
    assert not verify("another-secret", TS, BODY, header, now=TS)
    assert not verify(SECRET, TS, BODY, header, now=TS + 301)
    assert not verify(SECRET, TS + 1, BODY, header, now=TS)  # the timestamp is signed too


def test_verify_rejects_missing_or_malformed_input() -> None:
    header = f"v1={sign(SECRET, TS, BODY)}"
    assert not verify(SECRET, None, BODY, header, now=TS)
    assert not verify(SECRET, "yesterday", BODY, header, now=TS)
    assert not verify(SECRET, TS, BODY, None, now=TS)
    assert not verify(SECRET, TS, BODY, f"v0={sign(SECRET, TS, BODY)}", now=TS)


def readme_verify(secret: str, headers: dict[str, str], raw_body: bytes, tolerance_s: int = 300) -> bool:
    """The receiver-side check exactly as the README shows it (standard library only)."""
    import time

    timestamp = headers.get("X-Switchboard-Timestamp", "")
    signature = headers.get("X-Switchboard-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(part.strip().removeprefix("v1="), expected) for part in signature.split(","))


def test_the_readme_snippet_accepts_our_signature_and_rejects_a_tampered_body() -> None:
    headers = signed_headers(SECRET, BODY, idempotency_key="call_1:tc_1")
    assert readme_verify(SECRET, headers, BODY)
    assert not readme_verify(SECRET, headers, BODY.replace(b"friday", b"sunday"))
    assert not readme_verify("wrong", headers, BODY)
