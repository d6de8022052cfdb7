from __future__ import annotations

from typing import Any

import pytest

from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, Tenant
from switchboard.store import create_assistant, create_tenant, table_resource


@pytest.fixture
def table(aws: LocalResources) -> Any:
    return table_resource(aws.table)


@pytest.fixture
def two_tenants(table: Any) -> tuple[str, str]:
    create_tenant(table, Tenant(tenant_id="ten_a", name="Acme"))
    create_tenant(table, Tenant(tenant_id="ten_b", name="Bravo"))
    return "ten_a", "ten_b"


def make_assistant(table: Any, tenant_id: str, assistant_id: str, name: str = "Front desk") -> Assistant:
    return create_assistant(
        table,
        tenant_id,
        Assistant(assistant_id=assistant_id, tenant_id=tenant_id, name=name, system_prompt="Be brief."),
    )
