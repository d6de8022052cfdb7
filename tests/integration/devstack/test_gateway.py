"""The local HTTP gateway serves the platform's routes to the real Lambda handlers over a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.gateway import Gateway, LocalGateway, Route, find_route
from switchboard.local_aws import LocalResources
from switchboard.models import Tenant
from switchboard.resources import ENV_STAGE
from switchboard.store import create_tenant, issue_api_key, table_resource


@pytest.fixture
def gateway(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(ENV_STAGE, "test")
    with LocalGateway().running() as gw:
        yield gw.url


def test_openapi_document_is_served_without_a_key(gateway: str) -> None:
    from functions.admin_api.handler import openapi_document

    # when fetching the public OpenAPI route through the gateway
    response = requests.get(f"{gateway}/v1/openapi.json", timeout=10)
    # then it is the admin API's own document
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == json.loads(openapi_document())


def test_an_authorized_route_receives_the_tenant_from_the_authorizer(gateway: str, aws: LocalResources) -> None:
    # given a tenant with an API key (and another tenant)
    table = table_resource(aws.table)
    create_tenant(table, Tenant(tenant_id="ten_gw", name="Gateway Co"))
    create_tenant(table, Tenant(tenant_id="ten_other", name="Other"))
    issued = issue_api_key(table, "ten_gw")
    # when the key calls /v1/tenant through the gateway
    response = requests.get(f"{gateway}/v1/tenant", headers={"Authorization": f"Bearer {issued.secret}"}, timeout=10)
    # then the admin API saw the authorizer's tenant context
    assert response.status_code == 200
    assert response.json()["tenant_id"] == "ten_gw"


def test_routes_behind_the_authorizer_refuse_missing_and_unknown_keys(gateway: str) -> None:
    missing = requests.get(f"{gateway}/v1/tenant", timeout=10)
    unknown = requests.get(f"{gateway}/v1/tenant", headers={"Authorization": "Bearer sk_nope"}, timeout=10)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert (unknown.status_code, unknown.json()) == (403, {"message": "Forbidden"})


def test_unknown_routes_are_404(gateway: str) -> None:
    response = requests.post(f"{gateway}/nowhere", data=b"x", timeout=10)
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_events_are_payload_2_0_with_base64_for_binary_bodies() -> None:
    # given a gateway whose "call_setup" records the event it gets
    seen: list[dict[str, Any]] = []

    def loader(name: str) -> Any:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            seen.append(event)
            return {"statusCode": 201, "headers": {"X-Fn": context.function_name}, "body": "done"}

        return handler

    gw = Gateway(loader=loader)
    # when a form-encoded webhook with a query string arrives
    form = b"CallSid=CA1&From=%2B14155550111"
    response = gw.handle("POST", "/twilio/voice?x=1&x=2", {"Host": "api.local", "Content-Type":
                         "application/x-www-form-urlencoded"}, form)  # fmt: skip
    # then the handler got a payload-2.0 event API Gateway would send, and its answer is passed back
    [event] = seen
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "POST /twilio/voice", "/twilio/voice")
    assert event["isBase64Encoded"] is True
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["headers"]["host"] == "api.local"
    assert (response.status, response.body, ("X-Fn", "call_setup") in response.headers) == (201, b"done", True)


def test_exact_routes_win_over_greedy_ones() -> None:
    routes = (Route("ANY", "/v1/{proxy+}", "admin_api"), Route("GET", "/v1/openapi.json", "docs"))
    assert find_route("GET", "/v1/openapi.json", routes) == (routes[1], {})
    assert find_route("POST", "/v1/assistants/a1", routes) == (routes[0], {"proxy": "assistants/a1"})
    assert find_route("GET", "/v1/", routes) is None
