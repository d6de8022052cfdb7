"""The tenant's audit trail: who read, exported, erased or reconfigured what, when and from where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from botocore.exceptions import ClientError
from pydantic import AwareDatetime

from switchboard.audit import list_audit
from switchboard.store import InvalidCursor

from . import config
from .auth import tenant_id_of
from .problems import BadRequest, documented
from .schemas import AuditPage, Cursor, Limit

router = APIGatewayHttpRouter()
DEFAULT_WINDOW = timedelta(days=30)


@router.get("/v1/audit", tags=["audit"], responses=documented(), summary="The audit trail, oldest first")
def get_audit(
    since: Annotated[AwareDatetime | None, Query(description="at or after (default: 30 days before until)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="before (default: now); at most 366 days")] = None,
    limit: Annotated[Limit, Query()] = 50,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> AuditPage:
    tenant_id = tenant_id_of(router.current_event)
    try:
        end = until or datetime.now(UTC)
        start = since or end - DEFAULT_WINDOW
        page = list_audit(config.table(), tenant_id, since=start, until=end, limit=limit, cursor=cursor)
    except InvalidCursor:
        raise
    except (ValueError, OverflowError) as exc:
        raise BadRequest(str(exc) if isinstance(exc, ValueError) else "since/until out of range") from None
    except ClientError as exc:
        if cursor is not None and exc.response.get("Error", {}).get("Code") == "ValidationException":
            raise InvalidCursor("cursor belongs to a different listing") from None  # a start key outside the range
        raise
    return AuditPage(items=list(page.items), next_cursor=page.cursor)
