"""Phone numbers attached to a tenant and routed to an assistant."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, Field

from ._base import E164, Contract, Identifier, utc_now

Carrier = Literal["twilio", "telnyx"]


class PhoneNumber(Contract):
    number: E164
    tenant_id: Identifier
    carrier: Carrier
    assistant_id: Identifier | None = None
    carrier_sid: str | None = Field(default=None, max_length=128, description="Twilio PN sid or Telnyx number id")
    fallback_url: AnyHttpUrl | None = Field(default=None, description="carrier fallback webhook, e.g. a second region")
    created_at: datetime = Field(default_factory=utc_now)
