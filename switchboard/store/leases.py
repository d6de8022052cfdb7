"""Per-tenant concurrent-call limit: a counter item plus one lease row per live call.

Items under ``TENANT#{tenant}``:

- ``ACTIVE``: ``active``, the number of leases counted as live.
- ``ACTIVE#{call}``: one lease, with ``expires_at`` (epoch seconds; also the table's TTL).

Why both: a conditional ``ADD`` on one counter item admits at most ``limit`` calls with no race
window (DynamoDB serialises writes to an item), while lease rows make crashes recoverable. Each
acquire writes its lease and increments the counter in one transaction; each release of a *live*
lease deletes it and decrements in one transaction. So the counter never under-counts; it can only
over-count when a lease expires unreleased (a Lambda crashed, a status callback was lost). When the
counter says "full", :func:`acquire_lease` recounts the live lease rows and, if there is room,
resets the counter to the true count in a write conditional on the counter not having moved since
it was read. A recount therefore cannot admit more than ``limit`` live calls either.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from boto3.dynamodb.conditions import Key

from ..errors import LimitExceeded
from ._table import tenant_pk
from ._transact import TransactionCancelled, transact_write

COUNTER_SK = "ACTIVE"
LEASE_SK_PREFIX = "ACTIVE#"
_RECOUNT_ATTEMPTS = 3


def _lease_key(tenant_id: str, call_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"{LEASE_SK_PREFIX}{call_id}"}


def _counter_key(tenant_id: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": COUNTER_SK}


def _put_lease(tenant_id: str, call_id: str, expires_at: int) -> dict[str, Any]:
    item = {**_lease_key(tenant_id, call_id), "tenant_id": tenant_id, "call_id": call_id, "expires_at": expires_at}
    return {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def acquire_lease(
    table: Any, tenant_id: str, call_id: str, *, limit: int, ttl_s: float, now: float | None = None
) -> bool:
    """Take one of the tenant's *limit* call slots for *call_id* until released or *ttl_s* passes.

    Returns True when acquired, False when this call already held a lease (a retry).
    Raises :class:`LimitExceeded` when *limit* live leases are already held.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    clock = time.time() if now is None else now
    expires_at = int(clock + ttl_s)
    try:
        transact_write(
            table,
            [
                _put_lease(tenant_id, call_id, expires_at),
                {
                    "Update": {
                        "Key": _counter_key(tenant_id),
                        "UpdateExpression": "SET active = if_not_exists(active, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(active) OR active < :limit",
                        "ExpressionAttributeValues": {":zero": 0, ":one": 1, ":limit": limit},
                    }
                },
            ],
        )
        return True
    except TransactionCancelled as exc:
        if exc.failed(0):
            return False
        if not exc.failed(1):
            raise
    return _acquire_after_recount(table, tenant_id, call_id, limit=limit, now=clock, expires_at=expires_at)


def _acquire_after_recount(
    table: Any, tenant_id: str, call_id: str, *, limit: int, now: float, expires_at: int
) -> bool:
    for _ in range(_RECOUNT_ATTEMPTS):
        counter = table.get_item(Key=_counter_key(tenant_id), ConsistentRead=True).get("Item") or {}
        seen = int(counter.get("active", 0))
        live, expired = _lease_rows(table, tenant_id, now)
        if len(live) >= limit:
            raise LimitExceeded(f"tenant {tenant_id} already has {len(live)} live calls (limit {limit})")
        try:
            transact_write(
                table,
                [
                    _put_lease(tenant_id, call_id, expires_at),
                    {
                        "Update": {
                            "Key": _counter_key(tenant_id),
                            "UpdateExpression": "SET active = :recounted",
                            "ConditionExpression": "active = :seen",
                            "ExpressionAttributeValues": {":recounted": len(live) + 1, ":seen": seen},
                        }
                    },
                ],
            )
        except TransactionCancelled as exc:
            if exc.failed(0):
                return False
            if exc.failed(1):
                continue  # another call moved the counter between our read and our write
            raise
        _delete_expired(table, tenant_id, expired, now)
        return True
    raise LimitExceeded(f"tenant {tenant_id} is at its limit of {limit} calls (contended)")


def _lease_rows(table: Any, tenant_id: str, now: float) -> tuple[list[str], list[str]]:
    """Call ids of the live and of the expired lease rows."""
    live: list[str] = []
    expired: list[str] = []
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with(LEASE_SK_PREFIX),
        "ConsistentRead": True,
        "ProjectionExpression": "call_id, expires_at",
    }
    while True:
        response = table.query(**kwargs)
        for item in response.get("Items", []):
            (live if float(item["expires_at"]) > now else expired).append(str(item["call_id"]))
        if "LastEvaluatedKey" not in response:
            return live, expired
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _delete_expired(table: Any, tenant_id: str, call_ids: list[str], now: float) -> None:
    """Best effort: expired rows are already excluded from counts; this only keeps the partition small."""
    errors = table.meta.client.exceptions
    for call_id in call_ids:
        with contextlib.suppress(errors.ConditionalCheckFailedException):
            table.delete_item(
                Key=_lease_key(tenant_id, call_id),
                ConditionExpression="expires_at <= :now",
                ExpressionAttributeValues={":now": int(now)},
            )


def release_lease(table: Any, tenant_id: str, call_id: str, *, now: float | None = None) -> bool:
    """Give back the call's slot. Idempotent: returns False if it held no live lease."""
    clock = int(time.time() if now is None else now)
    try:
        transact_write(
            table,
            [
                {
                    "Delete": {
                        "Key": _lease_key(tenant_id, call_id),
                        "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                        "ExpressionAttributeValues": {":now": clock},
                    }
                },
                {
                    "Update": {
                        "Key": _counter_key(tenant_id),
                        "UpdateExpression": "SET active = active - :one",
                        "ConditionExpression": "active > :zero",
                        "ExpressionAttributeValues": {":one": 1, ":zero": 0},
                    }
                },
            ],
        )
        return True
    except TransactionCancelled as exc:
        if exc.failed(0):
            # missing (already released) or expired (no longer counted): drop any leftover row
            table.delete_item(Key=_lease_key(tenant_id, call_id))
            return False
        if exc.failed(1):
            table.delete_item(Key=_lease_key(tenant_id, call_id))
            return True
        raise


def live_lease_count(table: Any, tenant_id: str, *, now: float | None = None) -> int:
    """How many live leases the tenant holds (for tests, dashboards and the admin API)."""
    live, _ = _lease_rows(table, tenant_id, time.time() if now is None else now)
    return len(live)
