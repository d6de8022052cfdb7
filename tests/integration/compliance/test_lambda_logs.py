"""Every Lambda's log lines pass redaction: an invocation whose input carries PII and credentials, logged
whole (as ``POWERTOOLS_LOGGER_LOG_EVENT=true`` makes Powertools do), leaves neither in the output.

Each case drives the Lambda's real handler under its module's real Powertools ``Logger`` (whose
formatter is what is under test), with the logger's stream pointed at a buffer for the test.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from functions.admin_api import handler as admin_api
from functions.authorizer import handler as authorizer
from functions.call_setup import handler as call_setup
from functions.tool_call import handler as tool_call
from switchboard.local_aws import LocalResources
from switchboard.log_redaction import RedactingPowertoolsFormatter, RedactionFilter
from tests.integration.admin_api._api import EVENTS, FakeLambdaContext, http_event

ROOT = Path(__file__).resolve().parents[3]
EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"
PHONE = "+14155550123"
API_KEY = "sk_live_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
SECRETS_AND_PII = (EMAIL, CARD, PHONE, API_KEY)


def _admin_api_event() -> dict[str, Any]:
    body = {"name": "Desk", "system_prompt": f"Escalate to {EMAIL} or {PHONE}. Test card {CARD}."}
    return http_event("POST", "/v1/assistants", body=body, tenant_id="ten_logs",
                      headers={"Authorization": f"Bearer {API_KEY}"})


def _authorizer_event() -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "authorizer_request.json").read_text()))
    event["headers"]["authorization"] = f"Bearer {API_KEY}"
    event["identitySource"] = [f"Bearer {API_KEY}"]
    event["rawQueryString"] = f"email={EMAIL}&callback={PHONE}"
    return event


def _tool_call_event() -> dict[str, Any]:
    # malformed (no call_id): answered 400 before any store lookup, but logged whole with log_event
    body = {"tenant_id": "ten_logs", "tool_call_id": "tc_1", "tool_name": "book",
            "arguments": {"email": EMAIL, "card_number": CARD, "callback": PHONE}}
    event = http_event("POST", "/tools/invoke", body=body, headers={"Authorization": f"Bearer {API_KEY}"})
    event["requestContext"].pop("authorizer", None)
    return event


def _call_setup_event() -> dict[str, Any]:
    # a misdirected request (GET, a query string with the caller's number and email) that still gets logged
    event = http_event("GET", "/twilio/voice", query={"From": PHONE, "email": EMAIL},
                       headers={"Authorization": f"Bearer {API_KEY}"})
    event["requestContext"].pop("authorizer", None)
    return event


CASES: dict[str, tuple[ModuleType, Callable[[], dict[str, Any]]]] = {
    "admin_api": (admin_api, _admin_api_event),
    "authorizer": (authorizer, _authorizer_event),
    "tool_call": (tool_call, _tool_call_event),
    "call_setup": (call_setup, _call_setup_event),
}


@pytest.fixture
def output() -> Iterator[Callable[[ModuleType], io.StringIO]]:
    swapped: list[tuple[logging.StreamHandler[Any], Any]] = []

    def capture(module: ModuleType) -> io.StringIO:
        handler = module.logger.registered_handler
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        swapped.append((handler, handler.setStream(buffer)))
        return buffer

    yield capture
    for handler, previous in reversed(swapped):
        handler.setStream(previous)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_logged_invocation_carries_no_pii_or_credentials(
    name: str, aws: LocalResources, output: Callable[[ModuleType], io.StringIO]
) -> None:
    # given the Lambda's handler, logging its whole input
    module, make_event = CASES[name]
    buffer = output(module)
    logging_events = module.logger.inject_lambda_context(log_event=True)(module.lambda_handler)
    event = make_event()
    assert all(value in json.dumps(event) for value in (EMAIL, PHONE, API_KEY))
    # when it is invoked
    logging_events(event, FakeLambdaContext())
    # then the input was logged, scrubbed: placeholders for PII, nothing of the key
    logged = buffer.getvalue()
    assert "[EMAIL]" in logged, logged
    assert [value for value in SECRETS_AND_PII if value in logged] == [], logged
    assert "a1B2c3D4e5F6" not in logged
    # and the line came out of the redacting formatter
    assert isinstance(module.logger.registered_formatter, RedactingPowertoolsFormatter)


RUNTIME = """
import importlib, logging, sys
# what the Lambda runtime does before it imports the handler module: a handler on the root logger
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s %(message)s")
importlib.import_module(sys.argv[1])
logging.getLogger("botocore.retries").warning("retrying for %s with key %s", sys.argv[2], sys.argv[3])
"""


@pytest.mark.parametrize("module", [
    "functions.admin_api.handler", "functions.authorizer.handler", "functions.call_setup.handler",
    "functions.post_call.handler", "functions.tool_call.handler",
])
def test_std_logging_lines_are_redacted_from_import_on(module: str) -> None:
    # given a fresh Lambda process whose runtime set up the root handler, then imported the handler module
    # when a library logs PII and a key through standard logging
    result = subprocess.run([sys.executable, "-c", RUNTIME, module, EMAIL, API_KEY], capture_output=True,
                            text=True, timeout=120, cwd=ROOT, check=False)
    # then the line reached the root handler, redacted
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("botocore.retries"))
    assert "[EMAIL]" in line and EMAIL not in line and API_KEY not in line, line


def test_handlers_added_after_import_are_covered_on_the_next_invocation(
    aws: LocalResources, caplog: pytest.LogCaptureFixture
) -> None:
    # given a root handler added after the admin API was imported (pytest's capture handler)
    caplog.set_level(logging.INFO)
    # when the Lambda is invoked, then a module logs PII through standard logging
    admin_api.lambda_handler(_admin_api_event(), FakeLambdaContext())
    logging.getLogger("functions.admin_api.audit_trail").warning("retrying for %s with key %s", EMAIL, API_KEY)
    # then that handler got the filter too
    assert any(isinstance(f, RedactionFilter) for f in caplog.handler.filters)
    assert "[EMAIL]" in caplog.text and EMAIL not in caplog.text and API_KEY not in caplog.text
