"""Assistants against moto: CRUD, paging, and no access with another tenant's id."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.errors import Conflict, NotFound
from switchboard.models import Assistant
from switchboard.store import (
    InvalidCursor,
    create_assistant,
    delete_assistant,
    get_assistant,
    list_assistants,
    replace_assistant,
)

from .conftest import make_assistant


def test_create_get_replace_delete(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants
    created = make_assistant(table, tenant_a, "asst_1")

    assert get_assistant(table, tenant_a, "asst_1") == created
    renamed = replace_assistant(table, tenant_a, created.model_copy(update={"name": "Night desk"}))
    assert get_assistant(table, tenant_a, "asst_1").name == renamed.name == "Night desk"
    with pytest.raises(Conflict):
        make_assistant(table, tenant_a, "asst_1")

    delete_assistant(table, tenant_a, "asst_1")

    with pytest.raises(NotFound):
        get_assistant(table, tenant_a, "asst_1")


def test_another_tenant_finds_nothing(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    created = make_assistant(table, tenant_a, "asst_1")
    as_b = created.model_copy(update={"tenant_id": tenant_b, "name": "Hijacked"})

    with pytest.raises(NotFound):
        get_assistant(table, tenant_b, "asst_1")
    with pytest.raises(NotFound):
        replace_assistant(table, tenant_b, as_b)
    with pytest.raises(NotFound):
        delete_assistant(table, tenant_b, "asst_1")
    assert list_assistants(table, tenant_b).items == ()
    with pytest.raises(ValueError):
        create_assistant(table, tenant_b, created)

    assert get_assistant(table, tenant_a, "asst_1") == created


def test_list_pages_and_rejects_another_tenants_cursor(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    for i in range(3):
        make_assistant(table, tenant_a, f"asst_{i}")
    make_assistant(table, tenant_b, "asst_b")

    first = list_assistants(table, tenant_a, limit=2)
    second = list_assistants(table, tenant_a, limit=2, cursor=first.cursor)

    assert [a.assistant_id for a in first.items + second.items] == ["asst_0", "asst_1", "asst_2"]
    assert second.cursor is None
    with pytest.raises(InvalidCursor):
        list_assistants(table, tenant_b, cursor=first.cursor)
    with pytest.raises(ValueError):
        list_assistants(table, tenant_a, limit=0)


def test_stored_assistant_round_trips_every_field(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants
    assistant = Assistant.from_wire(
        {
            "assistant_id": "asst_full",
            "tenant_id": tenant_a,
            "name": "Full",
            "system_prompt": "Be brief.",
            "stt": {"keyterms": ["Acme"], "options": {"smart_format": True}},
            "llm": {"temperature": 0.25},
            "tools": [
                {
                    "name": "book",
                    "description": "Book a slot",
                    "parameters": {"type": "object", "properties": {"when": {"type": "string"}}},
                    "webhook_url": "https://hooks.example/book",
                }
            ],
        }
    )

    create_assistant(table, tenant_a, assistant)

    assert get_assistant(table, tenant_a, "asst_full") == assistant
