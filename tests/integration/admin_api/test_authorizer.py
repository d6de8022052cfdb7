"""The HTTP API REQUEST authorizer (simple responses), driven with a captured authorizer event."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from functions.authorizer.handler import lambda_handler
from switchboard.models import Tenant
from switchboard.store import create_tenant, issue_api_key

from ._api import EVENTS, FakeLambdaContext


def _event(authorization: str | None) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "authorizer_request.json").read_text()))
    event["headers"].pop("authorization")
    event["identitySource"] = []
    if authorization is not None:
        event["headers"]["authorization"] = authorization
        event["identitySource"] = [authorization]
    return event


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(repr(record.__dict__))


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """Everything the authorizer logs (message and extra fields), as text."""
    records = _Records()
    std_logger = logging.getLogger("authorizer")
    std_logger.addHandler(records)
    try:
        yield records.lines
    finally:
        std_logger.removeHandler(records)


def _authorize(authorization: str | None) -> dict[str, Any]:
    return lambda_handler(_event(authorization), FakeLambdaContext())  # type: ignore[arg-type, no-any-return]


def test_an_active_key_is_allowed_with_its_tenant_in_the_context(
    table: Any, tenants: tuple[str, str], logged: list[str]
) -> None:
    issued = issue_api_key(table, "ten_a")

    decision = _authorize(f"Bearer {issued.secret}")

    assert decision == {"isAuthorized": True, "context": {"tenant_id": "ten_a", "key_id": issued.api_key.key_id}}
    text = "\n".join(logged)
    assert issued.api_key.key_id in text and issued.secret not in text


def test_unknown_malformed_and_missing_keys_are_denied(table: Any, tenants: tuple[str, str], logged: list[str]) -> None:
    key = "sk_" + "A" * 43

    decisions = [_authorize(f"Bearer {key}"), _authorize("Basic dXNlcjpwYXNz"), _authorize(None), _authorize("Bearer")]

    assert all(d == {"isAuthorized": False} for d in decisions)
    assert len(logged) == 4 and all("denied" in line for line in logged)
    assert key not in "\n".join(logged)


def test_a_suspended_tenants_keys_are_denied(table: Any) -> None:
    create_tenant(table, Tenant(tenant_id="ten_s", name="Suspended", status="suspended"))
    issued = issue_api_key(table, "ten_s")

    assert _authorize(f"Bearer {issued.secret}") == {"isAuthorized": False}


def test_the_operator_key_is_allowed_without_a_tenant(table: Any, operator_key: str) -> None:
    decision = _authorize(f"Bearer {operator_key}")

    assert decision == {"isAuthorized": True, "context": {"role": "operator"}}
    assert "tenant_id" not in decision["context"]
