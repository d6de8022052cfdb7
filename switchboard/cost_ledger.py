"""The cost ledger: one COST item per call, and per-tenant totals by day or month.

Item (see :mod:`switchboard.store._table`): ``pk=TENANT#{tenant}``, ``sk=COST#{yyyy-mm-dd}#{call}``
with ``call_id``, ``day``, ``total_usd``, ``layers`` (layer -> usd) and ``price_table_version``.
The day is the UTC date the call started. Writing is a plain put, so a redelivered call
overwrites its own item and is never counted twice. Cost items carry no TTL: they outlive
the call records, for finance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.conditions import Key

from .models import CallCost
from .store._table import tenant_pk

COST_SK_PREFIX = "COST#"
Period = Literal["day", "month"]


def cost_sk(day: date, call_id: str) -> str:
    return f"{COST_SK_PREFIX}{day.isoformat()}#{call_id}"


def record_call_cost(table: Any, tenant_id: str, call_id: str, cost: CallCost, *, started_at: datetime) -> None:
    """Write (or overwrite) the call's ledger item under the UTC day it started."""
    if started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    utc_day = started_at.astimezone(UTC).date()
    layers: dict[str, Decimal] = defaultdict(Decimal)
    for line in cost.lines:
        layers[line.layer] += Decimal(str(line.usd))
    table.put_item(
        Item={
            "pk": tenant_pk(tenant_id),
            "sk": cost_sk(utc_day, call_id),
            "call_id": call_id,
            "day": utc_day.isoformat(),
            "total_usd": Decimal(str(cost.total_usd)),
            "layers": dict(layers),
            "price_table_version": cost.price_table_version,
        }
    )


@dataclass(frozen=True)
class CostTotal:
    period: str
    """``yyyy-mm-dd`` for days, ``yyyy-mm`` for months"""
    calls: int
    total_usd: float
    by_layer: dict[str, float] = field(default_factory=dict)


def cost_totals(table: Any, tenant_id: str, *, period: Period = "day", since: date, until: date) -> list[CostTotal]:
    """Totals per day or month for calls that started on days ``since`` to ``until`` (inclusive), oldest first."""
    if period not in ("day", "month"):
        raise ValueError("period must be 'day' or 'month'")
    if until < since:
        raise ValueError("until must not be before since")
    condition = Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").between(
        f"{COST_SK_PREFIX}{since.isoformat()}", f"{COST_SK_PREFIX}{until.isoformat()}#\uffff"
    )
    sums: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    layers: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
    while True:
        response = table.query(**kwargs)
        for item in response.get("Items", []):
            key = str(item["day"]) if period == "day" else str(item["day"])[:7]
            sums[key] += Decimal(item["total_usd"])
            counts[key] += 1
            for layer, usd in (item.get("layers") or {}).items():
                layers[key][layer] += Decimal(usd)
        start = response.get("LastEvaluatedKey")
        if start is None:
            break
        kwargs["ExclusiveStartKey"] = start
    return [
        CostTotal(period=key, calls=counts[key], total_usd=float(sums[key]),
                  by_layer={layer: float(usd) for layer, usd in sorted(layers[key].items())})
        for key in sorted(sums)
    ]
