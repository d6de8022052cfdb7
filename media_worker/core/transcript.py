"""The call's record for ``call.ended``: transcript turns and usage, in the shared contract models."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.models import ToolCallSummary, Turn

from .state import CallState, ToolCallRecord, TurnRecord


@dataclass(frozen=True, slots=True)
class CallUsage:
    """What the call loop itself can count; the runtime adds STT seconds and providers."""

    call_seconds: float
    llm_input_tokens: int
    llm_output_tokens: int
    tts_characters: int


def transcript_turns(state: CallState) -> list[Turn]:
    """Every turn so far as ``switchboard.models.Turn``; unattached tool calls go on a last assistant turn."""
    records = list(state.transcript)
    if state.pending_tool_records:
        end = records[-1].end_ms if records else 0.0
        records.append(TurnRecord(role="assistant", text="", start_ms=end, end_ms=end, heard_text="",
                                  tool_calls=state.pending_tool_records))  # fmt: skip
    return [_turn(r) for r in records]


def call_usage(state: CallState, now_ms: float | None = None) -> CallUsage:
    """Usage counters; call length runs to the end of the call (or ``now_ms`` while it is live)."""
    end = (
        state.ended_at_ms if state.ended_at_ms is not None else (now_ms if now_ms is not None else state.started_at_ms)
    )
    return CallUsage(
        call_seconds=max(0.0, end - state.started_at_ms) / 1000.0,
        llm_input_tokens=state.usage.llm_input_tokens,
        llm_output_tokens=state.usage.llm_output_tokens,
        tts_characters=state.usage.tts_characters,
    )


def _turn(record: TurnRecord) -> Turn:
    return Turn(
        role=record.role,
        text=record.text,
        start_ms=record.start_ms,
        end_ms=max(record.start_ms, record.end_ms),
        interrupted=record.interrupted,
        heard_text=record.heard_text if record.role == "assistant" else None,
        tool_calls=tuple(_summary(t) for t in record.tool_calls),
    )


def _summary(record: ToolCallRecord) -> ToolCallSummary:
    return ToolCallSummary(
        tool_call_id=record.tool_call_id, name=record.name, outcome=record.outcome, latency_ms=record.latency_ms
    )
