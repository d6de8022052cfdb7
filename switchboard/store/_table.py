"""The single DynamoDB table: key layout and conversion between models and items.

Key layout (``pk`` / ``sk``; ``gsi1pk`` / ``gsi1sk`` on index ``gsi1``; TTL ``expires_at``):

================  ===========================  ==========================  =================================
record            pk                           sk                          gsi1pk / gsi1sk
================  ===========================  ==========================  =================================
Tenant            TENANT#{tenant}              TENANT                      TENANTS / {tenant}
ApiKey            TENANT#{tenant}              APIKEY#{key_id}             APIKEYHASH#{sha256} / APIKEY
Assistant         TENANT#{tenant}              ASSISTANT#{assistant}       -
PhoneNumber       TENANT#{tenant}              NUMBER#{e164}               -
number claim      NUMBER#{e164}                CLAIM                       -  (one tenant per number)
CallRecord        TENANT#{tenant}              CALL#{call}                 TENANT#{tenant}#CALLS / {started_iso}#{call}
carrier call      CARRIERCALL#{carrier}#{sid}  CALL                        -  (webhook retries)
active-call lease TENANT#{tenant}              ACTIVE#{call}               -  (concurrency limit; TTL)
credential marker TENANT#{tenant}              CREDENTIAL#{provider}       -  (no values; see secrets.py)
call cost         TENANT#{tenant}              COST#{yyyy-mm-dd}#{call}    -  (cost ledger, no TTL; cost_ledger.py)
post_call step    TENANT#{tenant}              IDEM#{step}#{md5}           -  (Powertools idempotency; TTL)
audit entry       AUDIT#{tenant}#{yyyy-mm}     {iso}#{uuid}                -  (append-only, no TTL; audit.py)
================  ===========================  ==========================  =================================

Every partition that holds tenant data starts with ``TENANT#{tenant}``, and every
function that reads it takes the tenant id. The only global lookups are the
number claim (a number routes to its tenant), the API-key hash (a key names its
tenant) and the carrier call id (a webhook names its call); each returns a tenant
id that callers then use for tenant-scoped reads.

Audit entries are the one kind of tenant data outside ``TENANT#{tenant}``: their partition key starts
with ``AUDIT#`` so that an IAM ``dynamodb:LeadingKeys`` condition can deny every change to them
(:data:`switchboard.audit.AUDIT_DENY_STATEMENT`); the tenant id is still part of the key, and
:func:`switchboard.audit.list_audit` reads only the caller's tenant's partitions.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any, TypeVar

import boto3

from ..models import Contract
from ..resources import ENV_TABLE, TABLE

M = TypeVar("M", bound=Contract)

KEY_ATTRIBUTES = frozenset(
    {TABLE.partition_key, TABLE.sort_key, *(a for i in TABLE.indexes for a in (i.partition_key, i.sort_key))}
)


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def to_item(model: Contract, *, pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    """A DynamoDB item for *model* (floats become Decimals) with its keys and *extra* attributes."""
    body = json.loads(model.model_dump_json(), parse_float=Decimal)
    return {**body, TABLE.partition_key: pk, TABLE.sort_key: sk, **extra}


def from_item(model: type[M], item: dict[str, Any], *, drop: frozenset[str] = frozenset()) -> M:
    """Validate an item back into *model*, ignoring key attributes and *drop*."""
    body = {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES and k not in drop}
    return model.from_wire(body)


def table_resource(name: str | None = None) -> Any:
    """The boto3 Table for *name* (default: ``$SWITCHBOARD_TABLE``). Honours ``AWS_ENDPOINT_URL``."""
    table_name = name or os.environ[ENV_TABLE]
    return boto3.resource("dynamodb").Table(table_name)
