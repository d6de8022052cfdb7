"""Carrier-independent call setup: admit or refuse a call, and close calls the worker never saw.

Twilio and Telnyx routes translate their webhooks into :class:`IncomingCall` / :class:`CallFinished`
and the outcomes back into TwiML or Call Control commands; everything else happens here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from switchboard.errors import LimitExceeded, NotFound
from switchboard.events import CallEnded, CallStarted
from switchboard.models import CallRecord, UsageRecord, utc_now
from switchboard.models._base import E164_PATTERN
from switchboard.models.call import Direction, EndReason
from switchboard.models.phone_number import Carrier
from switchboard.publisher import EventPublisher, EventPublishError
from switchboard.store._ids import new_id
from switchboard.store.calls import (
    acquire_lease,
    create_call,
    expiry_epoch,
    find_carrier_call,
    get_call,
    mark_ended,
    release_lease,
    retention_days,
)
from switchboard.stream_token import issue_stream_token

from .directory import CallSetupDirectory

LEASE_SLACK_S = 300.0
"""A lease outlives the assistant's maximum call duration by this much before it stops counting."""

_CALL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_EVENT_NAMESPACE = uuid.UUID("6f1c3f5e-4c1e-4b7a-9a53-2f0c1f9d8e21")

RefusalReason = Literal["unknown_number", "busy"]


@dataclass(frozen=True, slots=True)
class IncomingCall:
    carrier: Carrier
    carrier_call_id: str
    direction: Direction
    routing_number: str
    """Our number: the callee of an inbound call, the caller id of an outbound one."""
    from_number: str | None
    to_number: str
    assistant_id: str | None = None
    """Outbound calls placed by the admin API name their assistant; inbound calls use the number's."""
    call_id: str | None = None
    """Outbound calls placed by the admin API carry the call id it returned to the client."""


@dataclass(frozen=True, slots=True)
class StreamGranted:
    call: CallRecord
    token: str
    created: bool
    """False when this webhook is a retry of one that already created the call."""


@dataclass(frozen=True, slots=True)
class Refused:
    reason: RefusalReason


@dataclass(frozen=True, slots=True)
class CallFinished:
    carrier: Carrier
    carrier_call_id: str
    ended_at: datetime
    end_reason: EndReason
    call_seconds: float = 0.0


FinishOutcome = Literal["unknown_call", "worker_reports", "already_ended", "ended"]


def e164_or_none(value: str | None) -> str | None:
    return value if value and E164_PATTERN.fullmatch(value) else None


def ended_event_id(call_id: str) -> str:
    """The same id for every status-callback ``call.ended`` of one call, so consumers can drop repeats."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"call.ended:{call_id}"))


class CallSetup:
    def __init__(
        self,
        *,
        table: Any,
        directory: CallSetupDirectory,
        publisher: EventPublisher,
        stream_key: Callable[[], bytes],
        logger: Any,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._table = table
        self._directory = directory
        self._publisher = publisher
        self._stream_key = stream_key
        self._logger = logger
        self._clock = clock

    def tenant_of(self, carrier: Carrier, carrier_call_id: str | None, routing_number: str | None) -> str | None:
        """Whose call or number a (not yet verified) webhook is about: the known call's tenant, else the
        number's (the global number claim); ``None`` if neither is known. Decides whose carrier account
        must have signed it."""
        if carrier_call_id:
            known = find_carrier_call(self._table, carrier, carrier_call_id)
            if known is not None:
                return known.tenant_id
        if routing_number:
            route = self._directory.resolve_number(routing_number)
            if route is not None:
                return route.tenant_id
        return None

    def start(self, incoming: IncomingCall, *, signed_for: str | None = None) -> StreamGranted | Refused:
        """Admit *incoming* (record, lease, ``call.started``, stream token) or refuse it.

        *signed_for*: the tenant whose own carrier account signed the webhook; it may only start or
        resume that tenant's calls (``None``: the platform account signed it).
        """
        known = find_carrier_call(self._table, incoming.carrier, incoming.carrier_call_id)
        if known is not None:
            if signed_for is not None and known.tenant_id != signed_for:
                return Refused("unknown_number")
            call = get_call(self._table, known.tenant_id, known.call_id)
            return StreamGranted(call=call, token=self.stream_token(call), created=False)

        route = self._directory.resolve_number(incoming.routing_number)
        if route is None or e164_or_none(incoming.to_number) is None:
            return Refused("unknown_number")
        if signed_for is not None and route.tenant_id != signed_for:
            return Refused("unknown_number")
        try:
            tenant = self._directory.get_tenant(route.tenant_id)
            assistant_id = incoming.assistant_id or route.assistant_id
            if assistant_id is None or tenant.status != "active":
                return Refused("unknown_number")
            assistant = self._directory.get_assistant(tenant.tenant_id, assistant_id)
        except NotFound:
            return Refused("unknown_number")

        call_id = incoming.call_id if incoming.call_id and _CALL_ID.fullmatch(incoming.call_id) else new_id("call")
        try:
            acquire_lease(
                self._table,
                tenant.tenant_id,
                call_id,
                limit=tenant.max_concurrent_calls,
                ttl_s=assistant.turn_taking.max_duration_s + LEASE_SLACK_S,
            )
        except LimitExceeded:
            return Refused("busy")

        started_at = self._clock()
        record = CallRecord(
            call_id=call_id,
            tenant_id=tenant.tenant_id,
            assistant_id=assistant.assistant_id,
            carrier=incoming.carrier,
            carrier_call_id=incoming.carrier_call_id,
            direction=incoming.direction,
            from_number=e164_or_none(incoming.from_number),
            to_number=incoming.to_number,
            started_at=started_at,
            expires_at=expiry_epoch(started_at, retention_days(tenant, assistant)),
        )
        outcome = create_call(self._table, record)
        if not outcome.created:  # a concurrent delivery of the same webhook won the race
            if outcome.call.call_id != call_id:
                release_lease(self._table, tenant.tenant_id, call_id)
            return StreamGranted(call=outcome.call, token=self.stream_token(outcome.call), created=False)

        self._publish_started(record)
        return StreamGranted(call=record, token=self.stream_token(record), created=True)

    def now(self) -> datetime:
        return self._clock()

    def stream_token(self, call: CallRecord) -> str:
        return issue_stream_token(
            self._stream_key(),
            tenant_id=call.tenant_id,
            call_id=call.call_id,
            assistant_id=call.assistant_id or "",
        )

    def finish(self, finished: CallFinished, *, signed_for: str | None = None) -> FinishOutcome:
        """The carrier says the call is over: free its slot and, if the stream never started, end it here.

        *signed_for*: as for :meth:`start`; another tenant's call counts as unknown.
        """
        ref = find_carrier_call(self._table, finished.carrier, finished.carrier_call_id)
        if ref is None or (signed_for is not None and ref.tenant_id != signed_for):
            return "unknown_call"
        release_lease(self._table, ref.tenant_id, ref.call_id)
        call = get_call(self._table, ref.tenant_id, ref.call_id)
        if call.ended_at is not None:
            return "already_ended"
        if call.status != "ringing":
            return "worker_reports"  # the media worker owned the stream and publishes call.ended itself

        event = CallEnded(
            event_id=ended_event_id(call.call_id),
            tenant_id=call.tenant_id,
            call_id=call.call_id,
            reported_by="status_callback",
            assistant_id=call.assistant_id,
            carrier=call.carrier,
            direction=call.direction,
            from_number=call.from_number,
            to_number=call.to_number,
            started_at=call.started_at,
            ended_at=finished.ended_at,
            end_reason=finished.end_reason,
            usage=UsageRecord(carrier=call.carrier, call_seconds=max(finished.call_seconds, 0.0)),
        )
        # Publish first: if it fails the carrier's retry finds the call still open and tries again.
        self._publisher.publish(event)
        ended = mark_ended(
            self._table,
            call.tenant_id,
            call.call_id,
            ended_at=finished.ended_at,
            end_reason=finished.end_reason,
            reported_by="status_callback",
            only_if_not_started=True,
        )
        return "ended" if ended else "already_ended"

    def _publish_started(self, record: CallRecord) -> None:
        event = CallStarted(
            tenant_id=record.tenant_id,
            call_id=record.call_id,
            assistant_id=record.assistant_id or "",
            carrier=record.carrier,
            direction=record.direction,
            from_number=record.from_number,
            to_number=record.to_number,
            occurred_at=record.started_at,
        )
        try:
            self._publisher.publish(event)
        except EventPublishError as exc:
            # The caller is on the line: never drop the call because the bus is down.
            self._logger.error(
                "call.started not published", extra={"call_id": record.call_id, "error_codes": exc.error_codes}
            )

    def open_call(self, carrier: Carrier, carrier_call_id: str) -> CallRecord | None:
        """The call a carrier call id created, if it exists and has not ended."""
        ref = find_carrier_call(self._table, carrier, carrier_call_id)
        if ref is None:
            return None
        call = get_call(self._table, ref.tenant_id, ref.call_id)
        return None if call.ended_at is not None else call
