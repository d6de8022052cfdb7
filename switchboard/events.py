"""Every event on the bus: one pydantic model each, shared by producers and consumers.

Each model carries a ``type`` discriminator (also the EventBridge ``detail-type``)
and a ``version``. Consumers call :func:`parse_event` on the EventBridge
``detail``; producers call :func:`to_entry` to build a ``PutEvents`` entry.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from .errors import InvalidEvent
from .models._base import E164, Contract, Identifier, utc_now
from .models.call import (
    CallAnalysis,
    Direction,
    EndReason,
    LatencySummary,
    Turn,
    UsageRecord,
)
from .models.phone_number import Carrier

EVENT_SOURCE = "switchboard"


def _event_id() -> str:
    return str(uuid.uuid4())


class _Event(Contract):
    version: Literal[1] = 1
    event_id: str = Field(default_factory=_event_id, min_length=1, max_length=64)
    occurred_at: datetime = Field(default_factory=utc_now)
    tenant_id: Identifier
    call_id: Identifier


class CallStarted(_Event):
    type: Literal["call.started"] = "call.started"
    assistant_id: Identifier
    carrier: Carrier
    direction: Direction
    from_number: E164 | None
    to_number: E164


class CallEnded(_Event):
    type: Literal["call.ended"] = "call.ended"
    reported_by: Literal["media_worker", "status_callback"]
    assistant_id: Identifier | None
    carrier: Carrier
    direction: Direction = "inbound"
    from_number: E164 | None = None
    to_number: E164 | None = None
    started_at: datetime
    ended_at: datetime
    end_reason: EndReason
    transcript: tuple[Turn, ...] = ()
    dtmf: tuple[str, ...] = ()
    usage: UsageRecord
    latency: LatencySummary = LatencySummary()
    recording_key: str | None = None


class ToolInvoked(_Event):
    type: Literal["tool.invoked"] = "tool.invoked"
    tool_name: str = Field(min_length=1, max_length=64)
    tool_call_id: str = Field(min_length=1, max_length=128)
    outcome: Literal["ok", "error", "timeout", "invalid_arguments", "blocked"]
    latency_ms: float = Field(ge=0)
    arguments: dict[str, Any] | None = Field(default=None, description="only when the tenant allows logging them")


class CallAnalyzed(_Event):
    type: Literal["call.analyzed"] = "call.analyzed"
    analysis: CallAnalysis


class CrmWritten(_Event):
    type: Literal["crm.written"] = "crm.written"
    crm: Literal["hubspot", "salesforce", "gohighlevel", "pipedrive"]
    record_id: str = Field(min_length=1, max_length=128)
    contact_id: str | None = None
    created_contact: bool = False
    already_existed: bool = Field(default=False, description="an earlier delivery had written it")


BusEvent = Annotated[
    CallStarted | CallEnded | ToolInvoked | CallAnalyzed | CrmWritten,
    Field(discriminator="type"),
]
EVENT_TYPES: tuple[type[_Event], ...] = (CallStarted, CallEnded, ToolInvoked, CallAnalyzed, CrmWritten)
DETAIL_TYPES: tuple[str, ...] = tuple(m.model_fields["type"].default for m in EVENT_TYPES)

_adapter: TypeAdapter[BusEvent] = TypeAdapter(BusEvent)


def parse_event(detail: dict[str, Any] | str | bytes) -> BusEvent:
    """Validate an EventBridge ``detail`` into its model, or raise :class:`InvalidEvent`."""
    text = detail if isinstance(detail, (str, bytes)) else json.dumps(detail)
    try:
        return _adapter.validate_json(text)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from exc


def to_entry(event: BusEvent, *, bus_name: str) -> dict[str, Any]:
    """A ``PutEvents`` entry for *event* on *bus_name*."""
    return {
        "Source": EVENT_SOURCE,
        "DetailType": event.type,
        "Detail": event.model_dump_json(),
        "EventBusName": bus_name,
        "Time": event.occurred_at,
    }


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(event)"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid event: " + "; ".join(parts)
