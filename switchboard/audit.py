"""The audit trail: an append-only log of who read, exported, deleted or reconfigured what, when and from where.

Items (see :mod:`switchboard.store._table`): ``pk=AUDIT#{tenant}#{yyyy-mm}`` (one partition per tenant
and UTC month), ``sk={iso}#{entry_id}`` (UTC, microseconds, so the sort key orders by time). No TTL.

Append-only, twice over:

- :func:`record` writes with ``attribute_not_exists(pk)``: an entry is never overwritten;
- the application roles get :data:`AUDIT_DENY_STATEMENT`, an IAM ``Deny`` of every item-changing
  action whose leading key starts with ``AUDIT#``, so no application code can update or delete an
  entry. (IAM cannot tell a conditional ``PutItem`` from an overwriting one: a role that may append
  could in principle overwrite an entry whose key it knows. Keys end in a random UUID; DynamoDB
  point-in-time recovery and, for stricter needs, a stream of the table to an S3 Object Lock bucket
  cover that residual risk.)

Actions: ``transcript.read``, ``recording.read``, ``export``, ``deletion``, ``config.change``.
The admin API records them and serves :func:`list_audit` to the tenant (``GET /v1/audit``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import AwareDatetime, Field

from .errors import Conflict
from .models import Contract
from .models._base import Identifier, JsonScalar
from .redaction import redact_value
from .store._pages import InvalidCursor, Page, decode_cursor, encode_cursor, page_size
from .store._table import from_item, to_item
from .store._transact import is_conditional_failure
from .store.calls import sort_key_time

AUDIT_KEY_PREFIX = "AUDIT#"
AuditAction = Literal["transcript.read", "recording.read", "export", "deletion", "config.change"]
AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)
MAX_LIST_RANGE = timedelta(days=366)

AUDIT_DENY_STATEMENT: dict[str, Any] = {
    "Sid": "DenyAuditLogChanges",
    "Effect": "Deny",
    "Action": [
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    ],
    "Resource": "*",
    "Condition": {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{AUDIT_KEY_PREFIX}*"]}},
}
"""IAM statement for every application role with write access to the table (infra:
``role.add_to_principal_policy(iam.PolicyStatement.from_json(AUDIT_DENY_STATEMENT))``). An explicit
Deny beats the Allow of ``grant_read_write_data``. ``TransactWriteItems`` is authorised per
contained action, so it is covered by the UpdateItem/DeleteItem denies."""


class AuditEntry(Contract):
    entry_id: str = Field(pattern=r"^[0-9a-f-]{36}$")
    tenant_id: Identifier
    actor: str = Field(min_length=1, max_length=200, description="api_key:<key id>, operator, or a service name")
    action: AuditAction
    resource: str = Field(min_length=1, max_length=500, description="e.g. calls/<call id>/transcript")
    source_ip: str | None = Field(default=None, max_length=64)
    at: AwareDatetime
    details: dict[str, JsonScalar] = Field(default_factory=dict)


def audit_pk(tenant_id: str, at: datetime) -> str:
    return f"{AUDIT_KEY_PREFIX}{tenant_id}#{at.astimezone(UTC):%Y-%m}"


def audit_sk(at: datetime, entry_id: str) -> str:
    return f"{sort_key_time(at)}#{entry_id}"


def record(
    table: Any,
    *,
    tenant_id: str,
    actor: str,
    action: AuditAction,
    resource: str,
    source_ip: str | None,
    at: datetime,
    details: dict[str, JsonScalar] | None = None,
    entry_id: str | None = None,
) -> AuditEntry:
    """Append one entry; :class:`Conflict` if an entry with the same key exists (never overwritten).

    *details* pass through PII redaction: the audit trail says what happened, not what was said.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}")
    entry = AuditEntry(
        entry_id=entry_id or str(uuid.uuid4()),
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        resource=resource,
        source_ip=source_ip,
        at=at.astimezone(UTC),
        details=redact_value(details or {}, "placeholder"),
    )
    item = to_item(entry, pk=audit_pk(tenant_id, entry.at), sk=audit_sk(entry.at, entry.entry_id))
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise Conflict(f"audit entry {entry.entry_id} already exists") from None
        raise
    return entry


def _months(since: datetime, until: datetime) -> list[str]:
    months = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def list_audit(
    table: Any,
    tenant_id: str,
    *,
    since: datetime,
    until: datetime,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """The tenant's entries with ``since <= at < until`` (at most 366 days), oldest first, one page."""
    size = page_size(limit)
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if until <= since:
        raise ValueError("until must be after since")
    if until - since > MAX_LIST_RANGE:
        raise ValueError("the audit log is listed at most 366 days at a time")
    prefix = f"{AUDIT_KEY_PREFIX}{tenant_id}#"
    months = _months(since, until - timedelta(microseconds=1))
    start = decode_cursor(cursor, equals={}, prefixes={"pk": prefix})
    if start is not None:
        month = start["pk"][len(prefix):]
        if month not in months or set(start) != {"pk", "sk"}:
            raise InvalidCursor("cursor belongs to a different listing")
        months = months[months.index(month):]
    low, high = sort_key_time(since), sort_key_time(until)
    items: list[dict[str, Any]] = []
    for month in months:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(prefix + month) & Key("sk").between(low, high),
            "ConsistentRead": True,
        }
        if start is not None and start["pk"] == prefix + month:
            kwargs["ExclusiveStartKey"] = start
        while len(items) <= size:
            response = table.query(**kwargs, Limit=size + 1 - len(items))
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        if len(items) > size:
            break
    page = items[:size]
    next_cursor = encode_cursor({"pk": page[-1]["pk"], "sk": page[-1]["sk"]}) if len(items) > size else None
    return Page(items=tuple(from_item(AuditEntry, item) for item in page), cursor=next_cursor)
