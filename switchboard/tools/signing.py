"""Signing of tool webhook requests: HMAC-SHA256 over ``f"{timestamp}.{body}"``.

Every request the platform sends to a team's webhook carries::

    X-Switchboard-Timestamp: 1764067200              (Unix seconds)
    X-Switchboard-Signature: v1=<hex HMAC-SHA256(secret, "1764067200." + raw body)>
    Idempotency-Key: <call id>:<tool call id>

The receiver recomputes the HMAC over the exact raw body bytes it received, compares it in constant
time and rejects timestamps older than a few minutes (replays). :func:`verify` does all of that.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Switchboard-Signature"
TIMESTAMP_HEADER = "X-Switchboard-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under *secret*."""
    message = str(int(timestamp)).encode() + b"." + _bytes(body)
    return hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def verify(
    secret: str | bytes,
    timestamp: int | str | None,
    body: str | bytes,
    signature: str | None,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether *signature* (the ``X-Switchboard-Signature`` header) signs *body* at a recent *timestamp*.

    Accepts the header as sent (``v1=<hex>``, several comma-separated values during a secret rotation)
    or a bare hex digest. ``False`` for a missing, malformed, stale or wrong signature.
    """
    if not signature or timestamp is None:
        return False
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    for part in signature.split(","):
        scheme, sep, digest = part.strip().partition("=")
        candidate = digest if sep else scheme
        if sep and scheme != SCHEME:
            continue
        if hmac.compare_digest(candidate.strip().lower().encode(), expected.encode()):
            return True
    return False


def signed_headers(
    secret: str | bytes | None, body: bytes, *, idempotency_key: str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers of one webhook request; no signature header when the tool has no secret."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    headers = {TIMESTAMP_HEADER: str(ts), IDEMPOTENCY_HEADER: idempotency_key}
    if secret:
        headers[SIGNATURE_HEADER] = f"{SCHEME}={sign(secret, ts, body)}"
    return headers
