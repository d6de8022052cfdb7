"""Errors raised by the carrier helpers."""

from __future__ import annotations

from typing import Literal

from ..errors import Unauthorized

SignatureFailure = Literal["missing", "malformed", "invalid", "stale", "unconfigured"]


class WebhookSignatureError(Unauthorized):
    """A carrier webhook whose signature is missing, malformed, wrong or too old."""

    def __init__(self, carrier: str, reason: SignatureFailure) -> None:
        super().__init__(f"{carrier} webhook signature {reason}")
        self.carrier = carrier
        self.reason: SignatureFailure = reason
