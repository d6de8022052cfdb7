"""The OpenAPI document is served at /v1/openapi.json, is valid OpenAPI 3.1 and documents every route."""

from __future__ import annotations

from openapi_spec_validator import validate

from switchboard.resources import requires_api_key

from ._api import call


def test_the_document_is_served_without_a_key_and_is_valid() -> None:
    assert not requires_api_key("GET", "/v1/openapi.json")

    response = call("GET", "/v1/openapi.json")

    assert response.status == 200 and response.content_type.startswith("application/json")
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_tenant_route_documents_problem_responses() -> None:
    document = call("GET", "/v1/openapi.json").json()

    operations = [op for item in document["paths"].values() for op in item.values()]

    assert len(operations) >= 20
    for operation in operations:
        if operation.get("summary") == "Assistant templates":
            continue
        assert "application/problem+json" in operation["responses"]["404"]["content"], operation["operationId"]


def test_every_operation_documents_its_success_body() -> None:
    document = call("GET", "/v1/openapi.json").json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            assert len(successes) == 1, (method, path)
            ((code, response),) = successes.items()
            if code == "204":
                assert not response.get("content"), (method, path)
            else:
                assert "schema" in response["content"]["application/json"], (method, path)
