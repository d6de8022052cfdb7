"""Call records: idempotent creation per carrier call, lifecycle updates, outcomes and listing.

Items (see :mod:`._table`):

- ``CALL#{call}`` under ``TENANT#{tenant}``: the :class:`CallRecord` (``None`` fields are not
  stored, so ``attribute_not_exists(ended_at)`` means "not ended"), plus ``ended_by``.
- ``CARRIERCALL#{carrier}#{sid}`` / ``CALL``: ``tenant_id`` and ``call_id`` of the call a
  carrier call id belongs to. Written in the same transaction as the record, so a webhook retry
  finds the first call instead of creating a second one.

Concurrency leases live in :mod:`.leases` (re-exported here: ``acquire_lease``, ``release_lease``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr, Key

from ..errors import NotFound
from ..models import Assistant, CallAnalysis, CallCost, CallRecord, LatencySummary, Tenant, Turn, UsageRecord
from ..models.call import CallStatus, EndReason
from ..models.phone_number import Carrier
from ._pages import Page, decode_cursor, encode_cursor, page_size
from ._table import from_item, tenant_pk, to_item
from ._transact import TransactionCancelled, transact_write
from .leases import acquire_lease, release_lease

SECONDS_PER_DAY = 86_400
CALL_SK_PREFIX = "CALL#"
CARRIER_CALL_SK = "CALL"
_EXTRA_ATTRIBUTES = frozenset({"ended_by"})

ReportedBy = Literal["media_worker", "status_callback"]

_STATUS_FOR_END_REASON: dict[str, CallStatus] = {
    "busy": "busy",
    "failed": "failed",
    "no_answer": "no_answer",
    "rejected": "rejected",
}


@dataclass(frozen=True, slots=True)
class CallCreated:
    call: CallRecord
    created: bool
    """False when an earlier delivery of the same carrier webhook had already created the call."""


@dataclass(frozen=True, slots=True)
class CarrierCallRef:
    tenant_id: str
    call_id: str


def expiry_epoch(started_at: datetime, days: int) -> int:
    """Epoch seconds at which a call started at *started_at* expires after *days* of retention."""
    if days < 1:
        raise ValueError("retention days must be at least 1")
    if started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    return int(started_at.timestamp()) + days * SECONDS_PER_DAY


def retention_days(tenant: Tenant, assistant: Assistant | None) -> int:
    """The assistant's retention override, else the tenant's retention."""
    if assistant is not None and assistant.retention.days is not None:
        return assistant.retention.days
    return tenant.retention_days


def status_for(end_reason: EndReason) -> CallStatus:
    """The final status a call gets for *end_reason*."""
    return _STATUS_FOR_END_REASON.get(end_reason, "completed")


def sort_key_time(moment: datetime) -> str:
    """A lexicographically sortable UTC timestamp (the first half of ``gsi1sk``)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _call_key(tenant_id: str, call_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"{CALL_SK_PREFIX}{call_id}"}


def _carrier_key(carrier: Carrier, carrier_call_id: str) -> dict[str, str]:
    return {"pk": f"CARRIERCALL#{carrier}#{carrier_call_id}", "sk": CARRIER_CALL_SK}


def _calls_gsi1pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#CALLS"


def _call_item(call: CallRecord) -> dict[str, Any]:
    key = _call_key(call.tenant_id, call.call_id)
    item = to_item(
        call,
        pk=key["pk"],
        sk=key["sk"],
        gsi1pk=_calls_gsi1pk(call.tenant_id),
        gsi1sk=f"{sort_key_time(call.started_at)}#{call.call_id}",
    )
    return {k: v for k, v in item.items() if v is not None}


def _call_from_item(item: dict[str, Any]) -> CallRecord:
    return from_item(CallRecord, item, drop=_EXTRA_ATTRIBUTES)


def create_call(table: Any, call: CallRecord) -> CallCreated:
    """Store *call* unless its carrier call id is already known; then return the existing call.

    The carrier-call item and the call record are written in one transaction, each conditional
    on not existing, so concurrent deliveries of the same webhook create exactly one call.
    """
    carrier_item: dict[str, Any] = {
        **_carrier_key(call.carrier, call.carrier_call_id),
        "tenant_id": call.tenant_id,
        "call_id": call.call_id,
    }
    if call.expires_at is not None:
        carrier_item["expires_at"] = call.expires_at
    try:
        transact_write(
            table,
            [
                {"Put": {"Item": carrier_item, "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"Item": _call_item(call), "ConditionExpression": "attribute_not_exists(pk)"}},
            ],
        )
    except TransactionCancelled as exc:
        if not exc.failed(0):
            raise
        existing = find_carrier_call(table, call.carrier, call.carrier_call_id)
        if existing is None:  # pragma: no cover - the item that made us lose cannot vanish
            raise
        return CallCreated(call=get_call(table, existing.tenant_id, existing.call_id), created=False)
    return CallCreated(call=call, created=True)


def find_carrier_call(table: Any, carrier: Carrier, carrier_call_id: str) -> CarrierCallRef | None:
    """The tenant and call a carrier call id belongs to, or ``None`` if no call was created for it."""
    item = table.get_item(Key=_carrier_key(carrier, carrier_call_id), ConsistentRead=True).get("Item")
    if item is None:
        return None
    return CarrierCallRef(tenant_id=str(item["tenant_id"]), call_id=str(item["call_id"]))


def get_call(table: Any, tenant_id: str, call_id: str) -> CallRecord:
    item = table.get_item(Key=_call_key(tenant_id, call_id), ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound(f"call {call_id} not found")
    return _call_from_item(item)


def _conditional_update(table: Any, key: dict[str, str], **kwargs: Any) -> bool:
    client_errors = table.meta.client.exceptions
    try:
        table.update_item(Key=key, **kwargs)
    except client_errors.ConditionalCheckFailedException:
        return False
    return True


def mark_in_progress(table: Any, tenant_id: str, call_id: str) -> bool:
    """Record that the media stream started. False if the call is unknown, already in progress or ended."""
    return _conditional_update(
        table,
        _call_key(tenant_id, call_id),
        UpdateExpression="SET #s = :in_progress",
        ConditionExpression="attribute_exists(pk) AND #s = :ringing AND attribute_not_exists(ended_at)",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":in_progress": "in_progress", ":ringing": "ringing"},
    )


def mark_ended(
    table: Any,
    tenant_id: str,
    call_id: str,
    *,
    ended_at: datetime,
    end_reason: EndReason,
    reported_by: ReportedBy,
    only_if_not_started: bool = False,
) -> bool:
    """End the call; the first writer wins and later reports return False.

    With *only_if_not_started* the write also requires that the stream never started (status
    ``ringing``), so a carrier status callback cannot end a call the media worker owns.
    """
    condition = "attribute_exists(pk) AND attribute_not_exists(ended_at)"
    values: dict[str, Any] = {
        ":ended_at": ended_at.astimezone(UTC).isoformat(),
        ":reason": end_reason,
        ":status": status_for(end_reason),
        ":by": reported_by,
    }
    if only_if_not_started:
        condition += " AND #s = :ringing"
        values[":ringing"] = "ringing"
    return _conditional_update(
        table,
        _call_key(tenant_id, call_id),
        UpdateExpression="SET ended_at = :ended_at, end_reason = :reason, #s = :status, ended_by = :by",
        ConditionExpression=condition,
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=values,
    )


def save_outcome(
    table: Any,
    tenant_id: str,
    call_id: str,
    *,
    transcript: tuple[Turn, ...] | None = None,
    usage: UsageRecord | None = None,
    latency: LatencySummary | None = None,
    analysis: CallAnalysis | None = None,
    cost: CallCost | None = None,
    recording_key: str | None = None,
) -> None:
    """Set the given outcome attributes on an existing call (:class:`NotFound` otherwise)."""
    fields: dict[str, Any] = {}
    if transcript is not None:
        fields["transcript"] = [turn.to_wire() for turn in transcript]
    for name, model in (("usage", usage), ("latency", latency), ("analysis", analysis), ("cost", cost)):
        if model is not None:
            fields[name] = model.to_wire()
    if recording_key is not None:
        fields["recording_key"] = recording_key
    if not fields:
        return
    values = _dynamo_values(fields)
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
    updated = _conditional_update(
        table,
        _call_key(tenant_id, call_id),
        UpdateExpression=expression,
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":v{i}": values[name] for i, name in enumerate(fields)},
    )
    if not updated:
        raise NotFound(f"call {call_id} not found")


def _dynamo_values(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON-mode values with floats as Decimals, as DynamoDB wants them."""
    loaded: dict[str, Any] = json.loads(json.dumps(fields), parse_float=Decimal)
    return loaded


def list_calls(
    table: Any,
    tenant_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    number: str | None = None,
    assistant_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[CallRecord]:
    """One page of the tenant's calls, newest first, started in ``[since, until)``.

    *number* matches either end of the call; *assistant_id* the assistant that took it.
    Filters run server-side; the page is filled across DynamoDB pages, and the cursor points
    at the last call returned.
    """
    size = page_size(limit)
    gsi1pk = _calls_gsi1pk(tenant_id)
    condition = Key("gsi1pk").eq(gsi1pk)
    if since is not None and until is not None:
        condition &= Key("gsi1sk").between(sort_key_time(since), sort_key_time(until))
    elif since is not None:
        condition &= Key("gsi1sk").gte(sort_key_time(since))
    elif until is not None:
        condition &= Key("gsi1sk").lt(sort_key_time(until))
    kwargs: dict[str, Any] = {"IndexName": "gsi1", "KeyConditionExpression": condition, "ScanIndexForward": False}
    filters = []
    if number is not None:
        filters.append(Attr("from_number").eq(number) | Attr("to_number").eq(number))
    if assistant_id is not None:
        filters.append(Attr("assistant_id").eq(assistant_id))
    if filters:
        combined = filters[0]
        for extra in filters[1:]:
            combined &= extra
        kwargs["FilterExpression"] = combined
    start = decode_cursor(
        cursor, equals={"gsi1pk": gsi1pk, "pk": tenant_pk(tenant_id)}, prefixes={"sk": CALL_SK_PREFIX}
    )
    calls: list[CallRecord] = []
    while True:
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        # Without filters every item counts, so ask for exactly what is missing; with filters read ahead.
        kwargs["Limit"] = size - len(calls) if not filters else max(size, 25)
        response = table.query(**kwargs)
        items = response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        for index, item in enumerate(items):
            calls.append(_call_from_item(item))
            if len(calls) == size:
                more = index < len(items) - 1 or start is not None
                last_key = {k: item[k] for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
                return Page(items=tuple(calls), cursor=encode_cursor(last_key) if more else None)
        if start is None:
            return Page(items=tuple(calls), cursor=None)


__all__ = [
    "CallCreated",
    "CarrierCallRef",
    "acquire_lease",
    "create_call",
    "expiry_epoch",
    "find_carrier_call",
    "get_call",
    "list_calls",
    "mark_ended",
    "mark_in_progress",
    "release_lease",
    "retention_days",
    "save_outcome",
    "sort_key_time",
    "status_for",
]
