"""Telnyx webhook verification: Ed25519 over ``"{telnyx-timestamp}|{raw body}"``.

The public key is the account's webhook key from the Telnyx portal, base64 of the raw 32 bytes.
Timestamps older (or further in the future) than ``tolerance_s`` are rejected against replays.
"""

from __future__ import annotations

import base64
import binascii
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import WebhookSignatureError

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
DEFAULT_TOLERANCE_S = 300


def load_public_key(public_key_b64: str) -> Ed25519PublicKey:
    """The Ed25519 key from its base64 form; :class:`WebhookSignatureError` ``unconfigured`` if unusable."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise WebhookSignatureError("telnyx", "unconfigured") from None


def verify_telnyx_signature(
    public_key: Ed25519PublicKey,
    body: bytes,
    signature_b64: str | None,
    timestamp: str | None,
    *,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise :class:`WebhookSignatureError` unless *signature_b64* signs *timestamp* and *body*."""
    if not signature_b64 or not timestamp:
        raise WebhookSignatureError("telnyx", "missing")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        sent_at = int(timestamp)
    except (ValueError, binascii.Error):
        raise WebhookSignatureError("telnyx", "malformed") from None
    if abs((time.time() if now is None else now) - sent_at) > tolerance_s:
        raise WebhookSignatureError("telnyx", "stale")
    try:
        public_key.verify(signature, timestamp.encode() + b"|" + body)
    except InvalidSignature:
        raise WebhookSignatureError("telnyx", "invalid") from None
