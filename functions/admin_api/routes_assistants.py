"""Assistants: create (optionally from a template), read, patch, delete, list; and the templates."""

from __future__ import annotations

import os
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from switchboard.hipaa import baa_providers, check_baa
from switchboard.models import Assistant, utc_now
from switchboard.models._base import Identifier
from switchboard.store import (
    create_assistant,
    delete_assistant,
    get_assistant,
    list_assistants,
    replace_assistant,
)
from switchboard.store._ids import new_id
from switchboard.templates import TEMPLATE_NAMES, TEMPLATES, apply_template, deep_merge

from . import audit_trail, config
from .auth import tenant_id_of
from .problems import documented, no_content
from .schemas import AssistantCreate, AssistantPage, AssistantPatch, Cursor, Limit, TemplateView

router = APIGatewayHttpRouter()
TAGS = ["assistants"]
ASSISTANT_ID = Annotated[Identifier, Path(description="assistant id")]


def _checked(assistant: Assistant) -> Assistant:
    """*assistant*, if a HIPAA assistant uses only BAA-eligible providers (:class:`NotBaaEligible` -> 422)."""
    check_baa(assistant, baa_providers(os.environ))
    return assistant


def _changed(tenant_id: str, assistant_id: str, operation: str, fields: str | None = None) -> None:
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"assistants/{assistant_id}",
                               operation=operation, details={"fields": fields} if fields is not None else None)


def _given(body: AssistantCreate | AssistantPatch, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields the caller sent (JSON form); a top-level ``null`` means "leave as is"."""
    sent = body.model_dump(mode="json", exclude_unset=True, exclude=exclude)
    return {name: value for name, value in sent.items() if value is not None}


@router.post("/v1/assistants", tags=TAGS, status_code=201, responses=documented(201, audited=True),
             summary="Create an assistant")
def post_assistant(body: AssistantCreate) -> Assistant:
    """A HIPAA assistant (``compliance.hipaa_mode``) must use BAA-eligible providers only (else 422)."""
    tenant_id = tenant_id_of(router.current_event)
    fields = apply_template(body.template, _given(body, exclude={"template"}))
    assistant = _checked(Assistant.from_wire({**fields, "assistant_id": new_id("asst"), "tenant_id": tenant_id}))
    created = create_assistant(config.table(), tenant_id, assistant)
    _changed(tenant_id, created.assistant_id, "create")
    return created


@router.get("/v1/assistants", tags=TAGS, responses=documented(), summary="List assistants")
def get_assistants(
    limit: Annotated[Limit, Query()] = 50, cursor: Annotated[Cursor | None, Query()] = None
) -> AssistantPage:
    page = list_assistants(config.table(), tenant_id_of(router.current_event), limit=limit, cursor=cursor)
    return AssistantPage(items=list(page.items), next_cursor=page.cursor)


@router.get("/v1/assistants/<assistant_id>", tags=TAGS, responses=documented(), summary="Get an assistant")
def get_one_assistant(assistant_id: ASSISTANT_ID) -> Assistant:
    return get_assistant(config.table(), tenant_id_of(router.current_event), assistant_id)


@router.patch("/v1/assistants/<assistant_id>", tags=TAGS, responses=documented(audited=True),
              summary="Change an assistant")
def patch_assistant(assistant_id: ASSISTANT_ID, body: AssistantPatch) -> Assistant:
    tenant_id = tenant_id_of(router.current_event)
    current = get_assistant(config.table(), tenant_id, assistant_id)
    given = _given(body)
    merged = deep_merge(current.to_wire(), given)
    updated = _checked(Assistant.from_wire({**merged, "updated_at": utc_now().isoformat()}))
    replaced = replace_assistant(config.table(), tenant_id, updated)
    _changed(tenant_id, assistant_id, "update", fields=",".join(sorted(given)))
    return replaced


@router.delete("/v1/assistants/<assistant_id>", tags=TAGS, status_code=204, responses=documented(204, audited=True),
               summary="Delete")
def remove_assistant(assistant_id: ASSISTANT_ID) -> Response[str]:
    tenant_id = tenant_id_of(router.current_event)
    delete_assistant(config.table(), tenant_id, assistant_id)
    _changed(tenant_id, assistant_id, "delete")
    return no_content()


@router.get("/v1/templates", tags=TAGS, summary="Assistant templates")
def get_templates() -> list[TemplateView]:
    return [TemplateView(name=name, fields=TEMPLATES[name]) for name in TEMPLATE_NAMES]
