"""The admin API's side of the audit trail: who is asking, from where, and the entry written before answering.

Reads of transcripts and recordings, deletions and configuration changes are recorded with
:func:`switchboard.audit.record` *before* the response leaves: if the entry cannot be written,
the request fails with :class:`AuditUnavailable` (503) and returns no data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from botocore.exceptions import BotoCoreError, ClientError

from switchboard import audit
from switchboard.audit import AuditAction
from switchboard.errors import Conflict, SwitchboardError
from switchboard.models._base import JsonScalar

from . import config

logger = logging.getLogger(__name__)
OPERATOR = "operator"
MAX_SOURCE_IP = 64


class AuditUnavailable(SwitchboardError):
    """The audit entry could not be written, so the request is refused (nothing leaves unaudited)."""


def actor_of(event: APIGatewayProxyEventV2, *, operator: bool = False) -> str:
    """``operator`` on operator routes (the key was checked), else ``api_key:<key id>`` from the authorizer."""
    if operator:
        return OPERATOR
    context: dict[str, Any] = event.request_context.authorizer.get_lambda or {}
    if context.get("role") == OPERATOR:
        return OPERATOR
    key_id = context.get("key_id")
    return f"api_key:{key_id}" if isinstance(key_id, str) and key_id else "unknown"


def source_ip_of(event: APIGatewayProxyEventV2) -> str | None:
    source_ip = event.request_context.http.source_ip
    return source_ip[:MAX_SOURCE_IP] if source_ip else None


def record(
    event: APIGatewayProxyEventV2,
    *,
    tenant_id: str,
    action: AuditAction,
    resource: str,
    details: dict[str, JsonScalar] | None = None,
    operator: bool = False,
) -> None:
    """Append one entry for this request; :class:`AuditUnavailable` if the table refuses it."""
    try:
        audit.record(
            config.audit_table(),
            tenant_id=tenant_id,
            actor=actor_of(event, operator=operator),
            action=action,
            resource=resource,
            source_ip=source_ip_of(event),
            at=datetime.now(UTC),
            details=details,
        )
    except (ClientError, BotoCoreError, Conflict) as exc:
        logger.error("audit entry not written", extra={"action": action, "error_code": _code(exc)})
        raise AuditUnavailable("the audit trail is unavailable; the request was not served") from None


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def config_changed(
    event: APIGatewayProxyEventV2,
    *,
    tenant_id: str,
    resource: str,
    operation: str,
    details: dict[str, JsonScalar] | None = None,
    operator: bool = False,
) -> None:
    """A ``config.change`` entry for a change that has just been made (names and ids, never values)."""
    record(event, tenant_id=tenant_id, action="config.change", resource=resource,
           details={"operation": operation, **(details or {})}, operator=operator)
