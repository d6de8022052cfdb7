"""Analysis, the pure part: rules for silent calls, the output schema, validation and redaction hook."""

from __future__ import annotations

import json

import pytest

from switchboard.analysis import (
    InvalidAnalysis,
    build_messages,
    caller_spoke,
    neutral_analysis,
    parse_analysis,
    render_transcript,
    response_format,
    rule_based_analysis,
)
from switchboard.models import AnalysisSettings, Turn

TURNS = (
    Turn(role="assistant", text="Hello, Acme plumbing, how can I help?", start_ms=0, end_ms=1500),
    Turn(role="caller", text="My sink is leaking, call me at 415 555 0123.", start_ms=2000, end_ms=4000),
    Turn(role="assistant", text="I can book a plumber for tomorrow morning at nine.", start_ms=4500, end_ms=6000,
         interrupted=True, heard_text="I can book a plumber"),
)
ORDER_SCHEMA = {
    "type": "object",
    "properties": {"callback_number": {"type": "string"}, "urgent": {"type": "boolean"}},
    "required": ["urgent"],
}


def good_output(**overrides: object) -> str:
    body = {
        "summary": "Caller reported a leak; a plumber was offered.",
        "sentiment_label": "neutral",
        "sentiment_score": 0.1,
        "disposition": "follow_up",
        "success": True,
        "success_reason": "booked",
        "structured_data": {},
    }
    body.update(overrides)
    return json.dumps(body)


def test_a_silent_call_is_abandoned_without_llm() -> None:
    silent = (Turn(role="assistant", text="Hello?", start_ms=0, end_ms=500), Turn(role="caller", text="  ",
                                                                                  start_ms=600, end_ms=700))
    assert not caller_spoke(silent)
    analysis = rule_based_analysis("caller_hung_up", AnalysisSettings())
    assert (analysis.disposition, analysis.source, analysis.sentiment.label) == ("abandoned", "no_speech", "neutral")
    assert analysis.success is False


def test_voicemail_flag_and_transfer_pick_their_dispositions() -> None:
    assert rule_based_analysis("assistant_ended", AnalysisSettings(), voicemail_detected=True).disposition == (
        "voicemail"
    )
    assert rule_based_analysis("transferred", AnalysisSettings()).disposition == "transferred"


def test_rules_fall_back_to_the_first_configured_disposition() -> None:
    settings = AnalysisSettings(dispositions=("done", "callback"))
    assert rule_based_analysis("caller_hung_up", settings).disposition == "done"
    assert neutral_analysis(settings).disposition == "done"
    assert neutral_analysis(AnalysisSettings()).source == "fallback"


def test_transcript_renders_what_the_caller_heard_and_passes_through_redact() -> None:
    text = render_transcript(TURNS, redact=lambda s: s.replace("415 555 0123", "[PHONE]"))
    assert text.splitlines() == [
        "Assistant: Hello, Acme plumbing, how can I help?",
        "Caller: My sink is leaking, call me at [PHONE].",
        "Assistant: I can book a plumber [interrupted]",
    ]


def test_messages_name_the_dispositions_criteria_and_use_the_redactor() -> None:
    settings = AnalysisSettings(dispositions=("booked", "no_booking"), success_criteria="A plumber was booked.")
    messages = build_messages(TURNS, settings, end_reason="caller_hung_up", redact=lambda s: s.upper())
    assert "booked, no_booking" in messages[0]["content"]
    assert "A plumber was booked." in messages[0]["content"]
    assert "CALLER: MY SINK" not in messages[1]["content"]  # role labels are not redacted...
    assert "Caller: MY SINK IS LEAKING" in messages[1]["content"]  # ...the spoken text is


def test_response_format_constrains_disposition_and_embeds_the_assistant_schema() -> None:
    plain = response_format(AnalysisSettings())
    assert plain["type"] == "json_schema"
    assert plain["json_schema"]["strict"] is True
    assert plain["json_schema"]["schema"]["properties"]["disposition"]["enum"] == [
        "resolved", "follow_up", "transferred", "voicemail", "abandoned"
    ]
    custom = response_format(AnalysisSettings(structured_data_schema=ORDER_SCHEMA))
    assert custom["json_schema"]["strict"] is False
    assert custom["json_schema"]["schema"]["properties"]["structured_data"] == ORDER_SCHEMA


def test_valid_output_becomes_a_call_analysis() -> None:
    settings = AnalysisSettings(structured_data_schema=ORDER_SCHEMA)
    analysis = parse_analysis(good_output(structured_data={"urgent": True, "callback_number": "+14155550123"}),
                              settings)
    assert analysis.disposition == "follow_up"
    assert analysis.sentiment.score == 0.1
    assert analysis.structured_data == {"urgent": True, "callback_number": "+14155550123"}
    assert analysis.source == "llm"


@pytest.mark.parametrize(
    "content",
    [
        None,
        "not json",
        good_output(disposition="sold"),  # not a configured disposition
        good_output(sentiment_score=3),  # out of range
        good_output(sentiment_label="angry"),
        good_output(structured_data={"callback_number": "x"}),  # misses the required "urgent"
        json.dumps({"summary": "only a summary"}),
    ],
)
def test_invalid_output_is_rejected(content: str | None) -> None:
    with pytest.raises(InvalidAnalysis):
        parse_analysis(content, AnalysisSettings(structured_data_schema=ORDER_SCHEMA))
