"""Fuzz every operation of the admin API from its own OpenAPI document (schemathesis): never a 5xx.

Each generated case becomes an API Gateway v2 event (as the HTTP API would send it, with the
tenant authorizer's context and, on operator routes, the operator key) and goes through the
Lambda handler in-process. Bounded and deterministic: ``derandomize`` and a fixed example budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from functions.admin_api.handler import openapi_document

from ._api import call, http_event, invoke
from .conftest import module_stack

SCHEMA = schemathesis.openapi.from_dict(json.loads(openapi_document()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
MAX_EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 5}


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_query_value(v) for v in value)
    return "" if value is None else str(value)


def _path(template: str, parameters: dict[str, Any]) -> str:
    path = template
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", quote(_query_value(value), safe=""))
    return path


def _send(case: Any, operator_key: str) -> Any:
    headers = {"Authorization": f"Bearer {operator_key}"} if "operator" in (case.operation.tags or []) else {}
    body = None if case.body is None or type(case.body).__name__ == "NotSet" else case.body
    raw_body = body.decode("latin-1") if isinstance(body, bytes) else None
    if case.media_type and body is not None:
        headers["Content-Type"] = case.media_type
    query = {k: _query_value(v) for k, v in (case.query or {}).items()}
    event = http_event(
        case.method.upper(),
        _path(case.path, case.path_parameters or {}),
        body=None if raw_body is not None else body,
        raw_body=raw_body,
        query=query or None,
        headers=headers,
        tenant_id="ten_a",
    )
    return invoke(event)


@pytest.fixture(scope="module")
def fuzz_world(moto_url: str) -> Iterator[str]:
    """Tenant A with Twilio credentials, an owned number and numbers to buy; tenant B with an assistant."""
    with module_stack(moto_url, "sb-fuzz") as stack:
        twilio = stack.twilio
        creds = {"values": {"account_sid": twilio.account_sid, "auth_token": twilio.auth_token}}
        assert call("PUT", "/v1/credentials/twilio", tenant_id="ten_a", body=creds).status == 200
        twilio.add_incoming_number("+14155550100")
        for i in range(5):
            twilio.add_available_number(f"+1415555020{i}")
        attach = {"number": "+14155550100", "carrier": "twilio"}
        assert call("POST", "/v1/numbers", tenant_id="ten_a", body=attach).status == 201
        yield stack.operator_key


def _fuzz(operation: Any, mode: GenerationMode, send: Callable[[Any], Any]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = send(case)
        assert response.status < 500, f"{case.method} {case.path}: {response.status} {response.text[:500]}"
        if response.status >= 400:
            assert response.content_type == "application/problem+json", response.text[:300]
            assert response.json()["status"] == response.status

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_operation_answers_5xx(operation: Any, mode: GenerationMode, fuzz_world: str) -> None:
    _fuzz(operation, mode, lambda case: _send(case, fuzz_world))
