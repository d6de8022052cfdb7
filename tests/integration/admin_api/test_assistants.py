"""Assistants through the admin API Lambda: CRUD, templates, validation problems."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.hipaa import ENV_BAA_PROVIDERS

from ._api import call

PROMPT = "You answer the phone for Acme Dental. Book appointments."


def test_a_template_and_a_prompt_make_a_working_assistant(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants

    created = call(
        "POST",
        "/v1/assistants",
        tenant_id=tenant_a,
        body={"name": "Front desk", "system_prompt": PROMPT, "template": "best-of-breed-english"},
    )

    assert created.status == 201, created.text
    body = created.json()
    assert body["tenant_id"] == tenant_a and body["assistant_id"].startswith("asst_")
    assert (body["stt"]["provider"], body["stt"]["model"]) == ("deepgram", "nova-3")
    assert (body["llm"]["provider"], body["llm"]["model"]) == ("openai", "gpt-4o-mini")
    assert (body["tts"]["provider"], body["tts"]["model"]) == ("cartesia", "sonic-3")
    fetched = call("GET", f"/v1/assistants/{body['assistant_id']}", tenant_id=tenant_a)
    assert fetched.status == 200 and fetched.json() == body


def test_patch_merges_nested_settings_and_delete_removes(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants
    created = call(
        "POST",
        "/v1/assistants",
        tenant_id=tenant_a,
        body={
            "name": "Desk",
            "system_prompt": PROMPT,
            "template": "best-of-breed-english",
            "stt": {"keyterms": ["Acme"]},
        },
    ).json()
    path = f"/v1/assistants/{created['assistant_id']}"

    patched = call(
        "PATCH", path, tenant_id=tenant_a, body={"turn_taking": {"endpointing_ms": 180}, "name": "Night desk"}
    )

    assert patched.status == 200, patched.text
    body = patched.json()
    assert body["name"] == "Night desk" and body["turn_taking"]["endpointing_ms"] == 180
    assert body["turn_taking"]["hold_incomplete_ms"] == created["turn_taking"]["hold_incomplete_ms"]
    assert body["stt"]["keyterms"] == ["Acme"]
    deleted = call("DELETE", path, tenant_id=tenant_a)
    assert (deleted.status, deleted.text) == (204, "")
    gone = call("GET", path, tenant_id=tenant_a)
    assert gone.status == 404 and gone.content_type == "application/problem+json"


def test_list_pages_with_a_cursor(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants
    for i in range(3):
        call("POST", "/v1/assistants", tenant_id=tenant_a, body={"name": f"A{i}", "system_prompt": PROMPT})

    first = call("GET", "/v1/assistants", tenant_id=tenant_a, query={"limit": "2"}).json()
    second = call("GET", "/v1/assistants", tenant_id=tenant_a, query={"limit": "2", "cursor": first["next_cursor"]})

    ids = [a["assistant_id"] for a in first["items"] + second.json()["items"]]
    assert len(ids) == 4 == len(set(ids))  # three new plus the fixture's asst_a
    assert second.json()["next_cursor"] is None


def _problem(response: Any) -> dict[str, Any]:
    assert response.content_type == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(problem)
    assert problem["status"] == response.status
    return problem  # type: ignore[no-any-return]


def test_unsupported_provider_and_bad_tool_schema_are_422_with_field_errors(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants
    bad_tool = {
        "name": "book",
        "description": "Book a slot",
        "parameters": {"type": "object", "properties": {"when": {"type": "nonsense"}}},
        "webhook_url": "https://hooks.example/book",
    }

    response = call(
        "POST",
        "/v1/assistants",
        tenant_id=tenant_a,
        body={"name": "X", "system_prompt": PROMPT, "stt": {"provider": "acme-stt"}, "tools": [bad_tool]},
    )

    assert response.status == 422
    problem = _problem(response)
    locations = {e["loc"] for e in problem["errors"]}
    assert "body/stt/provider" in locations
    assert any(loc.startswith("body/tools/0/parameters") for loc in locations)
    assert problem["instance"] == "/v1/assistants"


def test_malformed_json_is_400_and_unknown_route_404(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants

    malformed = call("POST", "/v1/assistants", tenant_id=tenant_a, raw_body="{not json")
    unknown = call("GET", "/v1/nothing-here", tenant_id=tenant_a)

    assert malformed.status == 400 and _problem(malformed)["type"].endswith("malformed-json")
    assert unknown.status == 404 and _problem(unknown)["status"] == 404


def test_without_authorizer_context_tenant_routes_are_401(tenants: tuple[str, str]) -> None:
    response = call("GET", "/v1/assistants")

    assert response.status == 401 and _problem(response)["title"] == "Unauthorized"


def test_an_assistant_answering_a_number_cannot_be_deleted(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants
    attached = call(
        "POST",
        "/v1/numbers",
        tenant_id=tenant_a,
        body={"number": "+14155550100", "carrier": "telnyx", "assistant_id": "asst_a"},
    )
    assert attached.status == 201, attached.text

    response = call("DELETE", "/v1/assistants/asst_a", tenant_id=tenant_a)

    assert response.status == 409 and _problem(response)["type"].endswith("conflict")


def test_a_hipaa_assistant_must_use_baa_eligible_providers(
    tenants: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a stage whose BAAs cover Deepgram and OpenAI, but not Cartesia
    monkeypatch.setenv(ENV_BAA_PROVIDERS, "deepgram,openai")
    hipaa = {"name": "Clinic", "system_prompt": PROMPT, "compliance": {"hipaa_mode": True}}
    # when a HIPAA assistant with the default TTS (cartesia) is created, then with the local TTS
    refused = call("POST", "/v1/assistants", tenant_id="ten_a", body=hipaa)
    accepted = call("POST", "/v1/assistants", tenant_id="ten_a", body={**hipaa, "tts": {"provider": "piper_local"}})
    # then the first is a 422 naming the provider, and the second is saved
    assert refused.status == 422 and refused.content_type == "application/problem+json"
    assert refused.json()["errors"] == [
        {"loc": "body/tts/provider", "type": "not_baa_eligible",
         "msg": "cartesia is not marked BAA-eligible (SWITCHBOARD_BAA_PROVIDERS)"}
    ]
    assert accepted.status == 201, accepted.text
    # and switching the saved one back to cartesia is refused as well, leaving it unchanged
    assistant_id = accepted.json()["assistant_id"]
    patched = call("PATCH", f"/v1/assistants/{assistant_id}", tenant_id="ten_a", body={"tts": {"provider": "cartesia"}})
    assert patched.status == 422
    assert call("GET", f"/v1/assistants/{assistant_id}", tenant_id="ten_a").json()["tts"]["provider"] == "piper_local"


def test_a_non_hipaa_assistant_may_use_any_provider(tenants: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BAA_PROVIDERS, "")

    created = call("POST", "/v1/assistants", tenant_id="ten_a", body={"name": "Desk", "system_prompt": PROMPT})

    assert created.status == 201, created.text
