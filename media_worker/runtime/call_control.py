"""``CallControl``: what the worker asks of the carrier's REST API (hang up, transfer).

The media stream alone cannot transfer a call, and for Telnyx closing the stream does not end
the call. The tools engineer implements this Protocol for Twilio (update the call with
``<Dial>``) and Telnyx (Call Control ``transfer`` / ``hangup``); the composition root takes one.
:class:`StreamOnlyCallControl` is the default: hanging up = closing the stream, which ends a
Twilio ``<Connect><Stream>`` call; it cannot transfer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

log = logging.getLogger(__name__)

Carrier = Literal["twilio", "telnyx"]


@dataclass(frozen=True, slots=True)
class CarrierCall:
    carrier: Carrier
    carrier_call_id: str
    """Twilio ``CallSid`` or Telnyx ``call_control_id``."""
    call_id: str
    tenant_id: str


class CallControlError(Exception):
    """The carrier refused or failed a call-control request."""


class CallControl(Protocol):
    async def hangup(self, call: CarrierCall) -> None:
        """End the phone call (after the stream closed or before closing it)."""

    async def transfer(self, call: CarrierCall, destination: str) -> None:
        """Connect the caller to ``destination`` (E.164); raises :class:`CallControlError`."""


class StreamOnlyCallControl:
    """No REST API: closing the media stream is the only way to end a call."""

    async def hangup(self, call: CarrierCall) -> None:
        return None

    async def transfer(self, call: CarrierCall, destination: str) -> None:
        raise CallControlError(f"transfer is not configured for {call.carrier}")
