"""Tenants and the API keys that act for them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ._base import Contract, Identifier, utc_now


class Tenant(Contract):
    tenant_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    status: Literal["active", "suspended"] = "active"
    max_concurrent_calls: int = Field(default=10, ge=1, le=10_000)
    retention_days: int = Field(default=30, ge=1, le=3650)
    allow_private_tool_urls: bool = False
    log_tool_arguments: bool = False
    created_at: datetime = Field(default_factory=utc_now)


class ApiKey(Contract):
    """A tenant API key. Only the hash and a short display prefix are ever stored."""

    key_id: Identifier
    tenant_id: Identifier
    name: str = Field(default="default", min_length=1, max_length=100)
    prefix: str = Field(min_length=4, max_length=16, description="first characters of the key, shown to humans")
    key_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the full key, hex")
    created_at: datetime = Field(default_factory=utc_now)
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
