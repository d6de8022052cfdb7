"""Assistants: create (optionally from a template), read, patch, delete, list; and the templates."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

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

from . import config
from .auth import tenant_id_of
from .problems import documented, no_content
from .schemas import AssistantCreate, AssistantPage, AssistantPatch, Cursor, Limit, TemplateView

router = APIGatewayHttpRouter()
TAGS = ["assistants"]
ASSISTANT_ID = Annotated[Identifier, Path(description="assistant id")]


def _given(body: AssistantCreate | AssistantPatch, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields the caller sent (JSON form); a top-level ``null`` means "leave as is"."""
    sent = body.model_dump(mode="json", exclude_unset=True, exclude=exclude)
    return {name: value for name, value in sent.items() if value is not None}


@router.post("/v1/assistants", tags=TAGS, status_code=201, responses=documented(201), summary="Create an assistant")
def post_assistant(body: AssistantCreate) -> Assistant:
    tenant_id = tenant_id_of(router.current_event)
    fields = apply_template(body.template, _given(body, exclude={"template"}))
    assistant = Assistant.from_wire({**fields, "assistant_id": new_id("asst"), "tenant_id": tenant_id})
    return create_assistant(config.table(), tenant_id, assistant)


@router.get("/v1/assistants", tags=TAGS, responses=documented(), summary="List assistants")
def get_assistants(
    limit: Annotated[Limit, Query()] = 50, cursor: Annotated[Cursor | None, Query()] = None
) -> AssistantPage:
    page = list_assistants(config.table(), tenant_id_of(router.current_event), limit=limit, cursor=cursor)
    return AssistantPage(items=list(page.items), next_cursor=page.cursor)


@router.get("/v1/assistants/<assistant_id>", tags=TAGS, responses=documented(), summary="Get an assistant")
def get_one_assistant(assistant_id: ASSISTANT_ID) -> Assistant:
    return get_assistant(config.table(), tenant_id_of(router.current_event), assistant_id)


@router.patch("/v1/assistants/<assistant_id>", tags=TAGS, responses=documented(), summary="Change an assistant")
def patch_assistant(assistant_id: ASSISTANT_ID, body: AssistantPatch) -> Assistant:
    tenant_id = tenant_id_of(router.current_event)
    current = get_assistant(config.table(), tenant_id, assistant_id)
    merged = deep_merge(current.to_wire(), _given(body))
    updated = Assistant.from_wire({**merged, "updated_at": utc_now().isoformat()})
    return replace_assistant(config.table(), tenant_id, updated)


@router.delete("/v1/assistants/<assistant_id>", tags=TAGS, status_code=204, responses=documented(204), summary="Delete")
def remove_assistant(assistant_id: ASSISTANT_ID) -> Response[str]:
    delete_assistant(config.table(), tenant_id_of(router.current_event), assistant_id)
    return no_content()


@router.get("/v1/templates", tags=TAGS, summary="Assistant templates")
def get_templates() -> list[TemplateView]:
    return [TemplateView(name=name, fields=TEMPLATES[name]) for name in TEMPLATE_NAMES]
