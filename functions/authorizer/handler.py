"""API Gateway HTTP API Lambda REQUEST authorizer (simple responses) for ``/v1/*``.

``Authorization: Bearer sk_...`` is looked up by its SHA-256 hash; an active key of an active
tenant is allowed with context ``{"tenant_id", "key_id"}``, which the admin API reads from
``requestContext.authorizer.lambda``. The operator key (Secrets Manager, ``ENV_OPERATOR_SECRET``)
is allowed with context ``{"role": "operator"}`` and no tenant, so it can reach only the operator
routes, which check it again. Keys never reach the logs: only key ids and reasons do (and every line
passes log redaction, should anyone log more).
"""

from __future__ import annotations

import hmac
import os
import time
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from switchboard.errors import NotFound
from switchboard.log_redaction import LogRedaction, RedactingPowertoolsFormatter, install_redaction
from switchboard.resources import ENV_OPERATOR_SECRET, ENV_TABLE
from switchboard.store import find_api_key, get_tenant, table_resource
from switchboard.store.api_keys import KEY_PREFIX

log_redaction = LogRedaction()
logger = Logger(service="authorizer", logger_formatter=RedactingPowertoolsFormatter(log_redaction))
install_redaction(log_redaction)  # std logging (boto3, ...) through the root handlers

_OPERATOR_CACHE_S = 300.0
_operator_cache: dict[str, tuple[float, str]] = {}
DENY: dict[str, Any] = {"isAuthorized": False}


@lru_cache(maxsize=4)
def _table(name: str, endpoint: str | None) -> Any:
    return table_resource(name)


@lru_cache(maxsize=4)
def _secrets(endpoint: str | None) -> Any:
    return boto3.client("secretsmanager")


def _bearer(event: dict[str, Any]) -> str | None:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _operator_key() -> str | None:
    secret_id = os.environ.get(ENV_OPERATOR_SECRET, "")
    if not secret_id:
        return None
    now = time.monotonic()
    cached = _operator_cache.get(secret_id)
    if cached is None or now - cached[0] >= _OPERATOR_CACHE_S:
        value = _secrets(os.environ.get("AWS_ENDPOINT_URL")).get_secret_value(SecretId=secret_id)["SecretString"]
        cached = (now, str(value))
        _operator_cache[secret_id] = cached
    return cached[1]


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    token = _bearer(event)
    if token is None:
        logger.info("denied", extra={"reason": "no_bearer_token"})
        return DENY
    if token.startswith(KEY_PREFIX):
        table = _table(os.environ[ENV_TABLE], os.environ.get("AWS_ENDPOINT_URL"))
        key = find_api_key(table, token)
        if key is None:
            logger.info("denied", extra={"reason": "unknown_or_revoked_key"})
            return DENY
        try:
            tenant = get_tenant(table, key.tenant_id)
        except NotFound:
            tenant = None
        if tenant is None or tenant.status != "active":
            logger.info("denied", extra={"reason": "tenant_inactive", "key_id": key.key_id})
            return DENY
        logger.info("allowed", extra={"key_id": key.key_id, "tenant_id": key.tenant_id})
        return {"isAuthorized": True, "context": {"tenant_id": key.tenant_id, "key_id": key.key_id}}
    operator = _operator_key()
    if operator is not None and hmac.compare_digest(token.encode(), operator.encode()):
        logger.info("allowed", extra={"role": "operator"})
        return {"isAuthorized": True, "context": {"role": "operator"}}
    logger.info("denied", extra={"reason": "unknown_key"})
    return DENY


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    install_redaction(log_redaction)  # idempotent; covers root handlers added after import
    return authorize(event)
