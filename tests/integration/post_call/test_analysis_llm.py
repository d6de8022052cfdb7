"""The analyzer against the fake OpenAI server through the real openai SDK (structured output)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openai
import pytest

from fakes.openai import ErrorReply, FakeOpenAI, TextReply, json_reply
from functions.post_call.analyzer import CallAnalyzer
from switchboard.errors import ProviderError
from switchboard.events import CallEnded
from switchboard.models import AnalysisSettings, Turn, UsageRecord

T0 = datetime(2026, 11, 3, 15, 4, 5, tzinfo=UTC)
SCHEMA = {
    "type": "object",
    "properties": {"appointment_day": {"type": "string"}, "urgent": {"type": "boolean"}},
    "required": ["urgent"],
}
SETTINGS = AnalysisSettings(dispositions=("booked", "not_booked"), success_criteria="An appointment was booked.",
                            structured_data_schema=SCHEMA)
REPLY = {
    "summary": "Leak; booked Tuesday.", "sentiment_label": "positive", "sentiment_score": 0.7,
    "disposition": "booked", "success": True, "success_reason": "booked", "structured_data":
    {"appointment_day": "Tuesday", "urgent": True},
}


def ended(*turns: Turn) -> CallEnded:
    return CallEnded(tenant_id="tn", call_id="ca_llm", reported_by="media_worker", assistant_id="as", carrier="twilio",
                     from_number="+14155550123", to_number="+14155550999", started_at=T0,
                     ended_at=T0 + timedelta(seconds=60), end_reason="caller_hung_up", transcript=turns,
                     usage=UsageRecord(carrier="twilio"))


SPOKEN = ended(Turn(role="caller", text="My sink leaks, it's urgent, Tuesday please.", start_ms=0, end_ms=2000))


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default_reply=json_reply(REPLY)).in_thread() as fake:
        yield fake


def analyzer_for(llm: FakeOpenAI, **kwargs: int) -> CallAnalyzer:
    client = openai.OpenAI(base_url=llm.base_url, api_key="test-openai-key", max_retries=0, timeout=2.0)
    return CallAnalyzer(client, model="gpt-4o-mini", **kwargs)


def test_structured_output_is_requested_and_validated(llm: FakeOpenAI) -> None:
    analysis = analyzer_for(llm).analyze(SPOKEN, SETTINGS, redact=lambda s: s.replace("Tuesday", "[DAY]"))
    assert (analysis.disposition, analysis.success, analysis.source) == ("booked", True, "llm")
    assert analysis.structured_data == {"appointment_day": "Tuesday", "urgent": True}
    request = llm.last_request
    assert request.model == "gpt-4o-mini"
    schema = request.response_format["json_schema"]["schema"]
    assert schema["properties"]["disposition"]["enum"] == ["booked", "not_booked"]
    assert schema["properties"]["structured_data"] == SCHEMA
    assert "[DAY]" in request.messages[1]["content"]  # the redaction hook saw the transcript
    assert "Tuesday" not in request.messages[1]["content"]


def test_a_disposition_outside_the_list_is_retried_once(llm: FakeOpenAI) -> None:
    llm.push(json_reply({**REPLY, "disposition": "resolved"}))
    analysis = analyzer_for(llm).analyze(SPOKEN, SETTINGS)
    assert len(llm.requests) == 2
    assert analysis.disposition == "booked"


def test_two_invalid_outputs_give_the_neutral_fallback(llm: FakeOpenAI) -> None:
    llm.push(TextReply("{"), json_reply({**REPLY, "structured_data": {"appointment_day": 3}}))
    analysis = analyzer_for(llm).analyze(SPOKEN, SETTINGS)
    assert len(llm.requests) == 2
    assert (analysis.source, analysis.disposition, analysis.sentiment.score) == ("fallback", "booked", 0.0)


def test_no_caller_speech_makes_no_request(llm: FakeOpenAI) -> None:
    analysis = analyzer_for(llm).analyze(ended(Turn(role="assistant", text="Hello?", start_ms=0, end_ms=900)),
                                         SETTINGS)
    assert llm.requests == []
    assert analysis.source == "no_speech"


def test_an_llm_outage_is_retryable_until_the_message_was_received_often(llm: FakeOpenAI) -> None:
    llm.push(ErrorReply(status=503), ErrorReply(status=503))
    analyzer = analyzer_for(llm, fallback_after_receives=3)
    with pytest.raises(ProviderError) as info:
        analyzer.analyze(SPOKEN, SETTINGS, receive_count=1)
    assert info.value.retryable is True
    assert analyzer.analyze(SPOKEN, SETTINGS, receive_count=3).source == "fallback"


def test_a_rejected_request_falls_back_at_once(llm: FakeOpenAI) -> None:
    llm.push(ErrorReply(status=400, type="invalid_request_error"))
    assert analyzer_for(llm).analyze(SPOKEN, SETTINGS, receive_count=1).source == "fallback"
