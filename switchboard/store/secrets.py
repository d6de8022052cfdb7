"""Per-tenant provider and CRM credentials in Secrets Manager: written by the admin API, read by runtimes.

Each (tenant, provider) pair is one secret named ``switchboard/{stage}/tenants/{tenant}/{provider}``
holding a JSON object. The API only writes them; what it can show is a marker item in the table
(``TENANT#{tenant}`` / ``CREDENTIAL#{provider}``: provider, secret name, updated_at — no values).
Runtimes read values through :class:`CredentialReader`, which caches them briefly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import Field

from ..errors import NotFound
from ..models import Contract, utc_now
from ._table import from_item, tenant_pk, to_item

CredentialProvider = Literal[
    "deepgram", "openai", "cartesia", "hubspot", "salesforce", "gohighlevel", "pipedrive", "twilio", "telnyx"
]
CREDENTIAL_PROVIDERS: tuple[str, ...] = get_args(CredentialProvider)

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "deepgram": ("api_key",),
    "openai": ("api_key",),
    "cartesia": ("api_key",),
    "hubspot": ("access_token",),
    "gohighlevel": ("api_key",),
    "pipedrive": ("api_token",),
    "twilio": ("account_sid", "auth_token"),
    "telnyx": ("api_key",),
    "salesforce": ("instance_url",),
}
"""Fields each provider's credential object must contain (more are allowed)."""

_SK_PREFIX = "CREDENTIAL#"


class TenantCredential(Contract):
    """That a tenant configured a provider, and when. Never the values."""

    tenant_id: str
    provider: CredentialProvider
    secret_name: str
    updated_at: datetime = Field(default_factory=utc_now)


def credential_secret_name(stage: str, tenant_id: str, provider: str) -> str:
    return f"switchboard/{stage}/tenants/{tenant_id}/{provider}"


def missing_fields(provider: str, values: Mapping[str, str]) -> list[str]:
    return [name for name in REQUIRED_FIELDS.get(provider, ()) if not values.get(name)]


def put_credentials(
    table: Any,
    secrets_client: Any,
    *,
    stage: str,
    tenant_id: str,
    provider: CredentialProvider,
    values: Mapping[str, str],
) -> TenantCredential:
    """Create or overwrite the tenant's secret for *provider*; record that it exists."""
    name = credential_secret_name(stage, tenant_id, provider)
    body = json.dumps(dict(values))
    try:
        secrets_client.put_secret_value(SecretId=name, SecretString=body)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        secrets_client.create_secret(
            Name=name,
            SecretString=body,
            Tags=[
                {"Key": "switchboard:tenant", "Value": tenant_id},
                {"Key": "switchboard:provider", "Value": provider},
            ],
        )
    marker = TenantCredential(tenant_id=tenant_id, provider=provider, secret_name=name)
    table.put_item(Item=to_item(marker, pk=tenant_pk(tenant_id), sk=f"{_SK_PREFIX}{provider}"))
    return marker


def list_credentials(table: Any, tenant_id: str) -> list[TenantCredential]:
    response = table.query(
        KeyConditionExpression=Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with(_SK_PREFIX)
    )
    return [from_item(TenantCredential, item) for item in response.get("Items", [])]


def delete_credentials(table: Any, secrets_client: Any, *, tenant_id: str, provider: CredentialProvider) -> None:
    """Schedule the secret for deletion (7-day recovery window) and drop the marker."""
    item = table.get_item(Key={"pk": tenant_pk(tenant_id), "sk": f"{_SK_PREFIX}{provider}"}).get("Item")
    if item is None:
        raise NotFound(f"no {provider} credentials configured")
    marker = from_item(TenantCredential, item)
    try:
        secrets_client.delete_secret(SecretId=marker.secret_name, RecoveryWindowInDays=7)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    table.delete_item(Key={"pk": tenant_pk(tenant_id), "sk": f"{_SK_PREFIX}{provider}"})


class CredentialReader:
    """Reads tenant credentials for runtimes, caching each secret for ``ttl_s`` seconds."""

    def __init__(
        self, secrets_client: Any, *, stage: str, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = secrets_client
        self._stage = stage
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}

    def get(self, tenant_id: str, provider: str) -> dict[str, str]:
        """The credential object; :class:`NotFound` if the tenant has not configured *provider*."""
        key = (tenant_id, provider)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl_s:
            return dict(cached[1])
        try:
            response = self._client.get_secret_value(SecretId=credential_secret_name(self._stage, tenant_id, provider))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"ResourceNotFoundException", "InvalidRequestException"}:
                raise NotFound(f"no {provider} credentials configured") from None
            raise
        values = {str(k): str(v) for k, v in json.loads(response["SecretString"]).items()}
        self._cache[key] = (now, values)
        return dict(values)

    def invalidate(self, tenant_id: str, provider: str) -> None:
        self._cache.pop((tenant_id, provider), None)
