"""Operator routes: create tenants, issue and revoke their API keys. Plus a tenant's own view."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from switchboard.models import Tenant
from switchboard.models._base import Identifier
from switchboard.store import create_tenant, get_tenant, issue_api_key, list_api_keys, revoke_api_key
from switchboard.store._ids import new_id

from . import audit_trail, config
from .auth import require_operator, tenant_id_of
from .problems import documented
from .schemas import ApiKeyCreate, ApiKeyIssued, ApiKeyView, TenantCreate

router = APIGatewayHttpRouter()
OPERATOR = ["operator"]
TENANT_ID = Annotated[Identifier, Path(description="tenant id")]


@router.post("/v1/tenants", tags=OPERATOR, status_code=201, responses=documented(201, audited=True),
             summary="Create a tenant")
def post_tenant(body: TenantCreate) -> Tenant:
    require_operator(router.current_event)
    tenant = Tenant(
        tenant_id=body.tenant_id or new_id("ten"),
        name=body.name,
        max_concurrent_calls=body.max_concurrent_calls,
        retention_days=body.retention_days,
    )
    created = create_tenant(config.table(), tenant)
    audit_trail.config_changed(router.current_event, tenant_id=created.tenant_id, resource="tenant",
                               operation="create", operator=True)
    return created


@router.get("/v1/tenants/<tenant_id>", tags=OPERATOR, responses=documented(), summary="Get a tenant")
def get_tenant_by_id(tenant_id: TENANT_ID) -> Tenant:
    require_operator(router.current_event)
    return get_tenant(config.table(), tenant_id)


@router.post(
    "/v1/tenants/<tenant_id>/api-keys",
    tags=OPERATOR,
    status_code=201,
    responses=documented(201, audited=True),
    summary="Issue an API key (the secret is shown once)",
)
def post_api_key(tenant_id: TENANT_ID, body: ApiKeyCreate) -> ApiKeyIssued:
    require_operator(router.current_event)
    issued = issue_api_key(config.table(), tenant_id, name=body.name)
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"api-keys/{issued.api_key.key_id}",
                               operation="issue", operator=True)
    return ApiKeyIssued(**ApiKeyView.of(issued.api_key).model_dump(), secret=issued.secret)


@router.get("/v1/tenants/<tenant_id>/api-keys", tags=OPERATOR, responses=documented(), summary="List API keys")
def get_api_keys(tenant_id: TENANT_ID) -> list[ApiKeyView]:
    require_operator(router.current_event)
    get_tenant(config.table(), tenant_id)
    return [ApiKeyView.of(key) for key in list_api_keys(config.table(), tenant_id)]


@router.delete(
    "/v1/tenants/<tenant_id>/api-keys/<key_id>", tags=OPERATOR, responses=documented(audited=True),
    summary="Revoke an API key"
)
def delete_api_key(tenant_id: TENANT_ID, key_id: Annotated[Identifier, Path()]) -> ApiKeyView:
    require_operator(router.current_event)
    revoked = revoke_api_key(config.table(), tenant_id, key_id)
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"api-keys/{key_id}",
                               operation="revoke", operator=True)
    return ApiKeyView.of(revoked)


@router.get("/v1/tenant", tags=["tenant"], responses=documented(), summary="The calling key's tenant")
def get_own_tenant() -> Tenant:
    return get_tenant(config.table(), tenant_id_of(router.current_event))
