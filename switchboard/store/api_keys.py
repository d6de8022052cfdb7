"""Tenant API keys. Only a SHA-256 hash and a short display prefix are stored.

A key is ``sk_`` + 43 url-safe characters. :func:`issue_api_key` returns the key once; after
that it cannot be recovered. :func:`find_api_key` is the one global lookup (for the authorizer):
the hash names the key record, and so its tenant.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from ..errors import NotFound
from ..models import ApiKey, utc_now
from ._ids import new_id
from ._table import from_item, tenant_pk, to_item
from ._transact import TransactionCancelled, is_conditional_failure, transact_write
from .tenants import TENANT_SK

KEY_PREFIX = "sk_"
DISPLAY_PREFIX_LENGTH = 10
_GSI_SK = "APIKEY"


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str
    """The full key. Shown to the caller once, never stored."""

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"IssuedApiKey(api_key={self.api_key!r}, secret='{self.api_key.prefix}…')"


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _sk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def issue_api_key(table: Any, tenant_id: str, *, name: str = "default") -> IssuedApiKey:
    """Create a key for an existing tenant (:class:`NotFound` otherwise)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        key_id=new_id("key"),
        tenant_id=tenant_id,
        name=name,
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_api_key(secret),
    )
    item = to_item(
        api_key,
        pk=tenant_pk(tenant_id),
        sk=_sk(api_key.key_id),
        gsi1pk=f"APIKEYHASH#{api_key.key_hash}",
        gsi1sk=_GSI_SK,
    )
    try:
        transact_write(
            table,
            [
                {
                    "ConditionCheck": {
                        "Key": {"pk": tenant_pk(tenant_id), "sk": TENANT_SK},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            ],
        )
    except TransactionCancelled as exc:
        if exc.failed(0):
            raise NotFound(f"tenant {tenant_id} not found") from None
        raise
    return IssuedApiKey(api_key=api_key, secret=secret)


def list_api_keys(table: Any, tenant_id: str) -> list[ApiKey]:
    """Every key of the tenant, revoked ones included (a tenant has few keys)."""
    condition = Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with("APIKEY#")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
    while True:
        response = table.query(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return [from_item(ApiKey, item) for item in items]


def revoke_api_key(table: Any, tenant_id: str, key_id: str) -> ApiKey:
    """Mark the key revoked (idempotent: revoking again keeps the first time)."""
    item = table.get_item(Key={"pk": tenant_pk(tenant_id), "sk": _sk(key_id)}, ConsistentRead=True).get("Item")
    if item is None:
        raise NotFound(f"api key {key_id} not found")
    current = from_item(ApiKey, item)
    if current.revoked_at is not None:
        return current
    try:
        response = table.update_item(
            Key={"pk": tenant_pk(tenant_id), "sk": _sk(key_id)},
            UpdateExpression="SET revoked_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": utc_now().isoformat()},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise NotFound(f"api key {key_id} not found") from None
        raise
    return from_item(ApiKey, response["Attributes"])


def find_api_key(table: Any, secret: str) -> ApiKey | None:
    """The active key whose hash matches *secret*, or ``None`` (unknown, malformed or revoked)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    response = table.query(
        IndexName="gsi1",
        KeyConditionExpression=Key("gsi1pk").eq(f"APIKEYHASH#{hash_api_key(secret)}") & Key("gsi1sk").eq(_GSI_SK),
    )
    keys = [from_item(ApiKey, item) for item in response.get("Items", [])]
    return next((key for key in keys if key.active), None)
