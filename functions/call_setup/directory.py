"""What call setup needs to know about a number: who owns it, which assistant answers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from switchboard.models import Assistant, Tenant
from switchboard.store import find_number_claim, get_assistant, get_tenant


@dataclass(frozen=True, slots=True)
class NumberRoute:
    tenant_id: str
    assistant_id: str | None


class CallSetupDirectory(Protocol):
    def resolve_number(self, number: str) -> NumberRoute | None: ...

    def get_tenant(self, tenant_id: str) -> Tenant:
        """:class:`switchboard.errors.NotFound` if absent."""
        ...

    def get_assistant(self, tenant_id: str, assistant_id: str) -> Assistant:
        """:class:`switchboard.errors.NotFound` if absent."""
        ...


class TableDirectory:
    """The directory over the single table (the number claim, the tenant and assistant items)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def resolve_number(self, number: str) -> NumberRoute | None:
        claim = find_number_claim(self._table, number)
        if claim is None:
            return None
        return NumberRoute(tenant_id=claim.tenant_id, assistant_id=claim.assistant_id)

    def get_tenant(self, tenant_id: str) -> Tenant:
        return get_tenant(self._table, tenant_id)

    def get_assistant(self, tenant_id: str, assistant_id: str) -> Assistant:
        return get_assistant(self._table, tenant_id, assistant_id)
