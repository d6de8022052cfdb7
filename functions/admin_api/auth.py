"""Who is calling: a tenant (from the API-key authorizer's context) or the operator (its own key)."""

from __future__ import annotations

import hmac
import time
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from switchboard.errors import Unauthorized

from . import config

_OPERATOR_CACHE_S = 300.0
_operator_cache: dict[str, tuple[float, str]] = {}


class Forbidden(Unauthorized):
    """Authenticated, but not allowed to do this."""


def tenant_id_of(event: APIGatewayProxyEventV2) -> str:
    """The tenant the authorizer resolved (``requestContext.authorizer.lambda.tenant_id``)."""
    context: dict[str, Any] = event.request_context.authorizer.get_lambda or {}
    tenant_id = context.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise Unauthorized("a tenant API key is required (Authorization: Bearer sk_...)")
    return tenant_id


def bearer_token(event: APIGatewayProxyEventV2) -> str | None:
    scheme, _, token = (event.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _operator_key(secret_id: str) -> str:
    now = time.monotonic()
    cached = _operator_cache.get(secret_id)
    if cached is not None and now - cached[0] < _OPERATOR_CACHE_S:
        return cached[1]
    value = str(config.secrets_client().get_secret_value(SecretId=secret_id)["SecretString"])
    _operator_cache[secret_id] = (now, value)
    return value


def require_operator(event: APIGatewayProxyEventV2) -> None:
    """Raise unless ``Authorization: Bearer`` carries the operator key (constant-time compare)."""
    token = bearer_token(event)
    if token is None:
        raise Unauthorized("the operator key is required (Authorization: Bearer ...)")
    secret_id = config.settings().operator_secret_id
    if not secret_id:
        raise Forbidden("no operator key is configured")
    if not hmac.compare_digest(token.encode(), _operator_key(secret_id).encode()):
        raise Forbidden("not the operator key")
