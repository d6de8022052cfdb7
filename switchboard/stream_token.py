"""Short-lived, single-use tokens that authorise one media stream.

Call setup issues a token bound to tenant, call and assistant; it reaches the
media worker as a custom parameter on the carrier's ``start`` message. The token
is ``base64url(claims).base64url(HMAC-SHA256(secret, claims))``. Verification is
pure; single use is enforced by a :class:`TokenLedger` that remembers spent ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .errors import StreamTokenError

TOKEN_VERSION = 1
DEFAULT_TTL_S = 120
STREAM_TOKEN_PARAMETER = "token"
"""Name of the custom stream parameter that carries the token."""
STREAM_FROM_PARAMETER = "from"
STREAM_TO_PARAMETER = "to"
"""Custom stream parameters with the call's numbers: Twilio's stream ``start`` carries none (Telnyx's does)."""


@dataclass(frozen=True, slots=True)
class StreamClaims:
    tenant_id: str
    call_id: str
    assistant_id: str
    expires_at: float
    token_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def issue_stream_token(
    secret: bytes,
    *,
    tenant_id: str,
    call_id: str,
    assistant_id: str,
    now: float | None = None,
    ttl_s: float = DEFAULT_TTL_S,
) -> str:
    issued = time.time() if now is None else now
    claims = {
        "v": TOKEN_VERSION,
        "tid": tenant_id,
        "cid": call_id,
        "aid": assistant_id,
        "exp": round(issued + ttl_s, 3),
        "jti": secrets.token_urlsafe(12),
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_stream_token(secret: bytes, token: str | None, *, now: float | None = None) -> StreamClaims:
    """Check signature and expiry. Raises :class:`StreamTokenError` with reason
    ``missing``, ``malformed``, ``forged`` or ``expired``."""
    if not token:
        raise StreamTokenError("missing")
    payload, sep, signature = token.partition(".")
    if not sep or not payload or not signature:
        raise StreamTokenError("malformed")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise StreamTokenError("forged")
    try:
        raw = json.loads(_unb64(payload))
        claims = StreamClaims(
            tenant_id=str(raw["tid"]),
            call_id=str(raw["cid"]),
            assistant_id=str(raw["aid"]),
            expires_at=float(raw["exp"]),
            token_id=str(raw["jti"]),
        )
    except (ValueError, KeyError, TypeError):
        raise StreamTokenError("malformed") from None
    if (time.time() if now is None else now) > claims.expires_at:
        raise StreamTokenError("expired")
    return claims


class TokenLedger(Protocol):
    """Remembers spent token ids. ``spend`` returns False if the id was already spent."""

    def spend(self, token_id: str, expires_at: float) -> bool: ...


class InMemoryTokenLedger:
    """Single-process ledger; spent ids are forgotten once their token has expired anyway."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._spent: dict[str, float] = {}
        self._clock = clock

    def spend(self, token_id: str, expires_at: float) -> bool:
        now = self._clock()
        if len(self._spent) > 1024:
            self._spent = {k: exp for k, exp in self._spent.items() if exp >= now}
        if token_id in self._spent:
            return False
        self._spent[token_id] = expires_at
        return True


def redeem_stream_token(
    secret: bytes, token: str | None, ledger: TokenLedger, *, now: float | None = None
) -> StreamClaims:
    """Verify *token* and spend it; a second redemption raises ``StreamTokenError("reused")``."""
    claims = verify_stream_token(secret, token, now=now)
    if not ledger.spend(claims.token_id, claims.expires_at):
        raise StreamTokenError("reused")
    return claims
