"""Finance: what the tenant's calls cost, per UTC day or month, from the cost ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from switchboard.cost_ledger import cost_totals

from . import config
from .auth import tenant_id_of
from .problems import BadRequest, documented
from .schemas import CostReport, CostTotalView

router = APIGatewayHttpRouter()
DEFAULT_DAYS = 30
MAX_DAYS = 732
"""Two years (and a leap day) per request."""


@router.get("/v1/costs", tags=["costs"], responses=documented(), summary="Call cost totals per day or month")
def get_costs(
    period: Annotated[Literal["day", "month"], Query()] = "day",
    since: Annotated[date | None, Query(description="first UTC day (default: 30 days before until)")] = None,
    until: Annotated[date | None, Query(description="last UTC day, inclusive (default: today)")] = None,
) -> CostReport:
    """Totals of the calls that started on each day (or month) from ``since`` to ``until``. A month at
    the edge of the range counts only the days inside it. Erased calls still count (anonymised)."""
    tenant_id = tenant_id_of(router.current_event)
    end = until or datetime.now(UTC).date()
    try:
        start = since or end - timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise BadRequest("until is too early") from None
    if end < start:
        raise BadRequest("until must not be before since")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"costs are listed at most {MAX_DAYS} days at a time")
    totals = cost_totals(config.table(), tenant_id, period=period, since=start, until=end)
    views = [CostTotalView(period=t.period, calls=t.calls, total_usd=t.total_usd, by_layer=t.by_layer)
             for t in totals]
    return CostReport(period=period, since=start, until=end, totals=views,
                      total_usd=round(sum(t.total_usd for t in totals), 10))
