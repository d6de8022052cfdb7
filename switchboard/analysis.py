"""Post-call analysis, the pure part: prompt, output schema, validation, rule-based and fallback results.

The LLM is asked for JSON matching :func:`response_format` (OpenAI structured output).
:func:`parse_analysis` validates what came back against the assistant's settings: the
disposition must be one of the configured ones and ``structured_data`` must match the
assistant's JSON Schema. A call in which the caller never spoke is analysed by rule
(:func:`rule_based_analysis`), with no LLM call at all.

Redaction hook: every function that reads transcript text takes ``redact`` (identity by
default). The compliance work plugs a PII redactor in there; nothing else reads the text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SwitchboardError
from .models import AnalysisSettings, CallAnalysis, Sentiment, Turn
from .models.call import EndReason

Redactor = Callable[[str], str]

MAX_TRANSCRIPT_CHARS = 60_000
"""The prompt keeps the head and tail of longer transcripts."""


def no_redaction(text: str) -> str:
    return text


class InvalidAnalysis(SwitchboardError):
    """The LLM's output was not a valid analysis for this assistant."""


class AnalysisOutput(BaseModel):
    """What the LLM must return (validated loosely here, then against the assistant's settings)."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=4000)
    sentiment_label: Literal["positive", "neutral", "negative"]
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    disposition: str = Field(min_length=1, max_length=64)
    success: bool
    success_reason: str = Field(default="", max_length=1000)
    structured_data: dict[str, Any] = Field(default_factory=dict)


def caller_spoke(transcript: Sequence[Turn]) -> bool:
    return any(turn.role == "caller" and turn.text.strip() for turn in transcript)


def render_transcript(transcript: Sequence[Turn], *, redact: Redactor = no_redaction) -> str:
    """Plain text, one ``Caller:`` / ``Assistant:`` line per turn; assistant turns as heard."""
    lines = []
    for turn in transcript:
        text = turn.heard_text if turn.role == "assistant" and turn.heard_text is not None else turn.text
        if turn.interrupted:
            text += " [interrupted]"
        lines.append(f"{'Caller' if turn.role == 'caller' else 'Assistant'}: {redact(text.strip())}")
    return "\n".join(lines)


def _pick(settings: AnalysisSettings, *preferred: str) -> str:
    for name in preferred:
        if name in settings.dispositions:
            return name
    return settings.dispositions[0]


def rule_based_analysis(
    end_reason: EndReason, settings: AnalysisSettings, *, voicemail_detected: bool = False
) -> CallAnalysis:
    """The analysis of a call with no caller speech: voicemail, transferred or abandoned (if configured)."""
    if voicemail_detected:
        disposition, summary = _pick(settings, "voicemail", "abandoned"), "Reached voicemail; no caller speech."
    elif end_reason == "transferred":
        disposition, summary = _pick(settings, "transferred", "abandoned"), "Transferred before the caller spoke."
    else:
        disposition = _pick(settings, "abandoned")
        summary = f"The caller did not speak (call ended: {end_reason.replace('_', ' ')})."
    return CallAnalysis(
        summary=summary,
        sentiment=Sentiment(label="neutral", score=0.0),
        disposition=disposition,
        success=False,
        source="no_speech",
    )


def neutral_analysis(settings: AnalysisSettings) -> CallAnalysis:
    """What is stored when the LLM could not produce a valid analysis: neutral, marked ``fallback``."""
    return CallAnalysis(
        summary="Automatic analysis unavailable for this call.",
        sentiment=Sentiment(label="neutral", score=0.0),
        disposition=_pick(settings, "follow_up"),
        success=False,
        source="fallback",
    )


def response_format(settings: AnalysisSettings) -> dict[str, Any]:
    """The ``response_format`` for Chat Completions: a JSON Schema with the dispositions as an enum.

    Strict mode needs every object closed and fully required, which an assistant's own schema
    may not be; with a custom ``structured_data_schema`` strict mode is off and
    :func:`parse_analysis` does the checking.
    """
    structured: dict[str, Any] = settings.structured_data_schema or {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Two to four sentences: why they called, what happened."},
            "sentiment_label": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "sentiment_score": {"type": "number", "description": "-1 (very negative) to 1 (very positive)"},
            "disposition": {"type": "string", "enum": list(settings.dispositions)},
            "success": {"type": "boolean"},
            "success_reason": {"type": "string"},
            "structured_data": structured,
        },
        "required": [
            "summary", "sentiment_label", "sentiment_score", "disposition", "success", "success_reason",
            "structured_data",
        ],
        "additionalProperties": False,
    }
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "call_analysis",
            "schema": schema,
            "strict": settings.structured_data_schema is None,
        },
    }


def build_messages(
    transcript: Sequence[Turn],
    settings: AnalysisSettings,
    *,
    end_reason: EndReason,
    redact: Redactor = no_redaction,
) -> list[dict[str, str]]:
    """System and user messages for the analysis request."""
    criteria = settings.success_criteria or "The caller's request was handled or correctly routed."
    system = (
        "You analyse phone calls between a caller and an AI voice assistant. Reply with JSON only.\n"
        f"- disposition: exactly one of {', '.join(settings.dispositions)}.\n"
        "- sentiment: the caller's sentiment by the end of the call; score from -1 to 1.\n"
        f"- success: whether the call met this success criterion: {criteria}\n"
        "- structured_data: fill the fields of its schema from what was said; leave out what was not said."
    )
    text = render_transcript(transcript, redact=redact)
    if len(text) > MAX_TRANSCRIPT_CHARS:
        half = MAX_TRANSCRIPT_CHARS // 2
        text = text[:half] + "\n[... transcript shortened ...]\n" + text[-half:]
    user = f"Call ended: {end_reason.replace('_', ' ')}.\nTranscript:\n{text}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_analysis(content: str | None, settings: AnalysisSettings) -> CallAnalysis:
    """Validate the LLM's JSON into a :class:`CallAnalysis`; :class:`InvalidAnalysis` if it is not one."""
    if not content:
        raise InvalidAnalysis("empty analysis output")
    try:
        output = AnalysisOutput.model_validate(json.loads(content))
    except (ValueError, ValidationError) as exc:
        raise InvalidAnalysis(f"analysis output is not valid: {type(exc).__name__}") from None
    if output.disposition not in settings.dispositions:
        raise InvalidAnalysis(f"disposition {output.disposition!r} is not configured")
    if settings.structured_data_schema is not None:
        errors = sorted(Draft202012Validator(settings.structured_data_schema).iter_errors(output.structured_data),
                        key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "(root)"
            raise InvalidAnalysis(f"structured_data does not match the schema at {where}")
    return CallAnalysis(
        summary=output.summary.strip(),
        sentiment=Sentiment(label=output.sentiment_label, score=output.sentiment_score),
        disposition=output.disposition,
        success=output.success,
        structured_data=output.structured_data,
        source="llm",
    )
