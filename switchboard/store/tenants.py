"""Tenants: the root of every record. Created by the operator; read by id."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..errors import Conflict, NotFound
from ..models import Tenant
from ._table import from_item, tenant_pk, to_item
from ._transact import is_conditional_failure

TENANT_SK = "TENANT"


def create_tenant(table: Any, tenant: Tenant) -> Tenant:
    """Store a new tenant; :class:`Conflict` if its id is taken."""
    item = to_item(
        tenant, pk=tenant_pk(tenant.tenant_id), sk=TENANT_SK, gsi1pk="TENANTS", gsi1sk=tenant.tenant_id
    )
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise Conflict(f"tenant {tenant.tenant_id} already exists") from None
        raise
    return tenant


def get_tenant(table: Any, tenant_id: str) -> Tenant:
    item = table.get_item(Key={"pk": tenant_pk(tenant_id), "sk": TENANT_SK}).get("Item")
    if item is None:
        raise NotFound(f"tenant {tenant_id} not found")
    return from_item(Tenant, item)
