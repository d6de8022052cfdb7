"""PII redaction in post_call, per assistant: the stored transcript, the analysis request the LLM sees
(fake OpenAI), the CRM body HubSpot receives (fake HubSpot), and HIPAA calls' storage and log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from fakes.openai import json_reply
from functions.post_call import handler, services
from switchboard.log_redaction import WITHHELD, RedactionFilter
from switchboard.models import Compliance, Turn
from switchboard.store import assistants, calls

from .conftest import ASSISTANT, GOOD_ANALYSIS, TENANT, FakeLambdaContext, Stack, sqs_event

EMAIL, CARD, PHONE = "jane.doe@example.com", "4111 1111 1111 1111", "415-555-0199"
SPOKEN = (
    Turn(role="assistant", text="Acme plumbing, how can I help?", start_ms=0, end_ms=1200),
    Turn(role="caller", text=f"Email me at {EMAIL}, or call {PHONE}. My card is {CARD}.", start_ms=1500,
         end_ms=6000),
    Turn(role="assistant", text="Thanks, booked for 9am tomorrow.", start_ms=6500, end_ms=8000),
)
PII = (EMAIL, CARD, PHONE, "4111111111111111")


def with_compliance(stack: Stack, **settings: Any) -> None:
    assistant = assistants.get_assistant(stack.table, TENANT, ASSISTANT)
    assistants.replace_assistant(stack.table, TENANT, assistant.model_copy(
        update={"compliance": Compliance(**settings)}))


def run(stack: Stack) -> None:
    stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.llm.push(json_reply({**GOOD_ANALYSIS, "summary": f"Jane ({EMAIL}) wants a plumber; callback {PHONE}."}))
    stack.put_on_bus(stack.call_ended(transcript=SPOKEN))
    assert stack.deliver()["response"] == {"batchItemFailures": []}


def leaked(text: str) -> list[str]:
    return [value for value in PII if value in text]


def crm_body(stack: Stack) -> str:
    records = stack.kit.records(stack.crm)
    assert len(records) == 1
    return str(records[0]["hs_call_body"])


def test_the_default_assistant_stores_analyses_and_sends_placeholders_only(stack: Stack) -> None:
    # given an assistant with the default compliance settings (placeholders) and a call full of PII
    run(stack)
    # then the stored transcript has placeholders where the PII was
    record = calls.get_call(stack.table, TENANT, "ca_post_1")
    stored = " ".join(turn.text for turn in record.transcript)
    assert leaked(stored) == []
    assert "[EMAIL]" in stored and "[PHONE]" in stored and "[CARD]" in stored
    # and the LLM saw placeholders, not the PII
    request = json.dumps(stack.llm.last_request.messages)
    assert leaked(request) == [] and "[EMAIL]" in request and "[CARD]" in request
    # and the CRM body (summary and transcript) carries placeholders too
    body = crm_body(stack)
    assert leaked(body) == [] and "[EMAIL]" in body and "[CARD]" in body and "[PHONE]" in body
    # and so does the stored summary
    assert record.analysis is not None and leaked(record.analysis.summary) == []


def test_mask_mode_masks_without_saying_what_was_there(stack: Stack) -> None:
    with_compliance(stack, redaction="mask")

    run(stack)

    stored = " ".join(t.text for t in calls.get_call(stack.table, TENANT, "ca_post_1").transcript)
    assert leaked(stored) == [] and "****" in stored and "[EMAIL]" not in stored
    assert leaked(crm_body(stack)) == [] and "****" in crm_body(stack)


def test_redaction_off_keeps_the_transcript_but_still_redacts_the_analysis_input(stack: Stack) -> None:
    # given an assistant that keeps transcripts as spoken but redacts analysis inputs (the default for that flag)
    with_compliance(stack, redaction="off", redact_analysis_inputs=True)
    run(stack)
    # then the stored transcript and the CRM body are as spoken
    stored = " ".join(t.text for t in calls.get_call(stack.table, TENANT, "ca_post_1").transcript)
    assert EMAIL in stored and CARD in stored
    assert EMAIL in crm_body(stack)
    # but the LLM still saw placeholders
    assert leaked(json.dumps(stack.llm.last_request.messages)) == []


def test_a_hipaa_call_stores_no_transcript_and_is_still_written_redacted(stack: Stack) -> None:
    # given a HIPAA assistant on a stage without a dedicated HIPAA key (redaction "off" is overridden)
    with_compliance(stack, hipaa_mode=True, redaction="off")
    run(stack)
    # then the call record keeps the analysis but no transcript
    record = calls.get_call(stack.table, TENANT, "ca_post_1")
    assert record.transcript == () and record.analysis is not None
    # and nothing that left the platform carried the PII
    assert leaked(json.dumps(stack.llm.last_request.messages)) == []
    assert leaked(crm_body(stack)) == []


@pytest.fixture
def powertools_output() -> Iterator[io.StringIO]:
    """post_call's real Powertools handler (with its real formatter), writing into a buffer for the test."""
    stream_handler = handler.logger.registered_handler
    assert isinstance(stream_handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = stream_handler.setStream(buffer)
    yield buffer
    stream_handler.setStream(previous)


def test_logged_events_and_lines_carry_no_pii(stack: Stack, powertools_output: io.StringIO,
                                             caplog: pytest.LogCaptureFixture) -> None:
    # given event logging switched on, as POWERTOOLS_LOGGER_LOG_EVENT=true does at cold start (the whole
    # SQS event, transcript included, goes to the log through post_call's logger)
    logging_events = handler.logger.inject_lambda_context(log_event=True)(handler.lambda_handler)
    caplog.set_level(logging.INFO)
    stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.put_on_bus(stack.call_ended(transcript=SPOKEN))
    messages = stack.sqs.receive_message(QueueUrl=stack.aws.queues["post_call"], MaxNumberOfMessages=10,
                                         AttributeNames=["All"]).get("Messages", [])
    # when the handler runs
    response = logging_events(sqs_event(messages), FakeLambdaContext())
    # then the event was logged, with placeholders instead of the PII
    assert response == {"batchItemFailures": []}
    logged = powertools_output.getvalue()
    assert "ca_post_1" in logged and "[EMAIL]" in logged
    assert leaked(logged) == []
    # and std-logging lines (pipeline, analyzer, CRM retries) pass the redaction filter too
    assert any(isinstance(f, RedactionFilter) for f in caplog.handler.filters)
    logging.getLogger("functions.post_call.pipeline").warning("caller said %s", SPOKEN[1].text)
    assert "[EMAIL]" in caplog.text and leaked(caplog.text) == []


def test_a_hipaa_calls_lines_keep_no_bodies(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    with_compliance(stack, hipaa_mode=True)
    caplog.set_level(logging.INFO, logger="functions.post_call.pipeline")

    run(stack)

    analysed = [r for r in caplog.records if r.name == "functions.post_call.pipeline" and r.getMessage() == WITHHELD]
    assert analysed, [r.getMessage() for r in caplog.records]
    assert all(getattr(r, "disposition", WITHHELD) == WITHHELD for r in analysed)
    assert all(getattr(r, "call_id", None) == "ca_post_1" for r in analysed)


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.reset()
    yield
    services.reset()
