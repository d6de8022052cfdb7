from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests

from fakes.twilio_rest import FakeTwilioRest
from functions.admin_api.config import ENV_TWILIO_API_BASE_URL
from switchboard.local_aws import LocalResources, provision
from switchboard.models import Assistant, Tenant
from switchboard.resources import ENV_PUBLIC_API_URL, ENV_STAGE
from switchboard.store import create_assistant, create_tenant, table_resource

PUBLIC_URL = "https://api.switchboard.example"


@pytest.fixture
def table(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV_PUBLIC_API_URL, PUBLIC_URL)
    monkeypatch.setenv(ENV_STAGE, "test")
    return table_resource(aws.table)


@pytest.fixture
def operator_key(aws: LocalResources) -> str:
    secrets = boto3.client("secretsmanager", endpoint_url=aws.endpoint_url, region_name=aws.region)
    return str(secrets.get_secret_value(SecretId=aws.secrets["operator"])["SecretString"])


@pytest.fixture
def tenants(table: Any) -> tuple[str, str]:
    """Tenants A and B, each with one assistant (``asst_a`` / ``asst_b``)."""
    for tenant_id, name in (("ten_a", "Acme"), ("ten_b", "Bravo")):
        create_tenant(table, Tenant(tenant_id=tenant_id, name=name))
        create_assistant(
            table,
            tenant_id,
            Assistant(
                assistant_id=f"asst_{tenant_id[-1]}", tenant_id=tenant_id, name="Desk", system_prompt="Be brief."
            ),
        )
    return "ten_a", "ten_b"


@pytest.fixture
def twilio(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilioRest]:
    """A fake Twilio REST API that the admin API's twilio SDK client reaches via ``TWILIO_API_BASE_URL``."""
    fake = FakeTwilioRest()
    with fake.in_thread():
        monkeypatch.setenv(ENV_TWILIO_API_BASE_URL, fake.http_url)
        yield fake


@dataclass(frozen=True)
class Stack:
    resources: LocalResources
    table: Any
    secrets: Any
    twilio: FakeTwilioRest
    operator_key: str


@contextmanager
def module_stack(moto_url: str, prefix: str) -> Iterator[Stack]:
    """Like ``aws`` + ``tenants`` + ``twilio``, once for a whole module (set-up against moto is slow)."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    resources = provision(moto_url, prefix=prefix)
    twilio = FakeTwilioRest()
    with pytest.MonkeyPatch.context() as env, twilio.in_thread():
        for name, value in resources.environment().items():
            env.setenv(name, value)
        env.setenv(ENV_PUBLIC_API_URL, PUBLIC_URL)
        env.setenv(ENV_STAGE, "test")
        env.setenv(ENV_TWILIO_API_BASE_URL, twilio.http_url)
        table = table_resource(resources.table)
        for tenant_id, name in (("ten_a", "Acme"), ("ten_b", "Bravo")):
            create_tenant(table, Tenant(tenant_id=tenant_id, name=name))
            assistant = Assistant(
                assistant_id=f"asst_{tenant_id[-1]}", tenant_id=tenant_id, name="Desk", system_prompt="Be brief."
            )
            create_assistant(table, tenant_id, assistant)
        secrets = boto3.client("secretsmanager", endpoint_url=moto_url)
        operator_key = str(secrets.get_secret_value(SecretId=resources.secrets["operator"])["SecretString"])
        yield Stack(resources, table, secrets, twilio, operator_key)
