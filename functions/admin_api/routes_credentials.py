"""Provider and CRM credentials: written into Secrets Manager per tenant, never returned."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from switchboard.store import (
    CredentialProvider,
    delete_credentials,
    list_credentials,
    missing_fields,
    put_credentials,
)

from . import audit_trail, config
from .auth import tenant_id_of
from .problems import documented, no_content
from .schemas import CredentialsPut, CredentialView

router = APIGatewayHttpRouter()
TAGS = ["credentials"]
PROVIDER = Annotated[CredentialProvider, Path(description="whose credentials")]


@router.put("/v1/credentials/<provider>", tags=TAGS, responses=documented(audited=True), summary="Set credentials")
def put_provider_credentials(provider: PROVIDER, body: CredentialsPut) -> CredentialView:
    """Write-only: the values go to Secrets Manager and are never returned by any route."""
    missing = missing_fields(provider, body.values)
    if missing:
        raise RequestValidationError(
            [
                {"loc": ("body", "values", name), "type": "missing", "msg": f"{provider} needs {name}"}
                for name in missing
            ]
        )
    settings = config.settings()
    tenant_id = tenant_id_of(router.current_event)
    marker = put_credentials(
        config.table(),
        config.secrets_client(),
        stage=settings.stage,
        tenant_id=tenant_id,
        provider=provider,
        values=body.values,
    )
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"credentials/{provider}",
                               operation="put", details={"fields": ",".join(sorted(body.values))})
    return CredentialView(provider=marker.provider, updated_at=marker.updated_at)


@router.get("/v1/credentials", tags=TAGS, responses=documented(), summary="Which providers are configured")
def get_credentials() -> list[CredentialView]:
    markers = list_credentials(config.table(), tenant_id_of(router.current_event))
    return [CredentialView(provider=m.provider, updated_at=m.updated_at) for m in markers]


@router.delete(
    "/v1/credentials/<provider>", tags=TAGS, status_code=204, responses=documented(204, audited=True),
    summary="Remove credentials",
)
def remove_credentials(provider: PROVIDER) -> Response[str]:
    tenant_id = tenant_id_of(router.current_event)
    delete_credentials(config.table(), config.secrets_client(), tenant_id=tenant_id, provider=provider)
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"credentials/{provider}",
                               operation="delete")
    return no_content()
