"""Per-tenant credentials against moto: one secret per (tenant, provider), markers without values."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from switchboard.errors import NotFound
from switchboard.local_aws import LocalResources
from switchboard.store import (
    CredentialReader,
    credential_secret_name,
    delete_credentials,
    list_credentials,
    missing_fields,
    put_credentials,
)


@pytest.fixture
def secrets(aws: LocalResources) -> Any:
    return boto3.client("secretsmanager", endpoint_url=aws.endpoint_url)


def test_put_stores_values_only_in_the_tenants_secret(table: Any, secrets: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants

    marker = put_credentials(
        table, secrets, stage="dev", tenant_id=tenant_a, provider="hubspot", values={"access_token": "pat-123"}
    )

    assert (
        marker.secret_name
        == "switchboard/dev/tenants/ten_a/hubspot"
        == credential_secret_name("dev", tenant_a, "hubspot")
    )
    assert json.loads(secrets.get_secret_value(SecretId=marker.secret_name)["SecretString"]) == {
        "access_token": "pat-123"
    }
    assert "pat-123" not in json.dumps(table.scan()["Items"], default=str)
    assert [m.provider for m in list_credentials(table, tenant_a)] == ["hubspot"]
    assert list_credentials(table, tenant_b) == []
    with pytest.raises(NotFound):
        delete_credentials(table, secrets, tenant_id=tenant_b, provider="hubspot")


def test_reader_caches_until_the_ttl_and_reports_missing(
    table: Any, secrets: Any, two_tenants: tuple[str, str]
) -> None:
    tenant_a, tenant_b = two_tenants
    now = [0.0]
    reader = CredentialReader(secrets, stage="dev", ttl_s=60, clock=lambda: now[0])
    put_credentials(table, secrets, stage="dev", tenant_id=tenant_a, provider="openai", values={"api_key": "one"})
    assert reader.get(tenant_a, "openai") == {"api_key": "one"}

    put_credentials(table, secrets, stage="dev", tenant_id=tenant_a, provider="openai", values={"api_key": "two"})

    assert reader.get(tenant_a, "openai") == {"api_key": "one"}
    now[0] = 61.0
    assert reader.get(tenant_a, "openai") == {"api_key": "two"}
    with pytest.raises(NotFound):
        reader.get(tenant_b, "openai")


def test_required_fields_per_provider() -> None:
    assert missing_fields("twilio", {"account_sid": "AC1"}) == ["auth_token"]
    assert missing_fields("deepgram", {"api_key": "k"}) == []
    assert missing_fields("pipedrive", {}) == ["api_token"]
