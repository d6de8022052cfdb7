"""The report's latency rows come from the worker's own span lines, computed as the worker does."""

from __future__ import annotations

from devstack.report_builder import latency_rows
from switchboard.caller.script import Conversation, TurnResult


def span(turn: int, name: str, at_ms: float) -> dict[str, object]:
    return {"msg": "span", "call_id": "call_1", "turn": turn, "span": name, "at_ms": at_ms}


def conversation(*v2v: float) -> Conversation:
    return Conversation(turns=[TurnResult(i + 1, "line", 0.0, 1000.0, 1000.0 + ms) for i, ms in enumerate(v2v)])


def test_each_stage_is_the_gap_between_two_spans_and_they_add_up_to_voice_to_voice() -> None:
    spans = [span(1, "caller_stopped_speaking", 1000), span(1, "transcript_final", 1400),
             span(1, "llm_request_sent", 1401), span(1, "llm_first_token", 2100),
             span(1, "first_clause_to_tts", 2300), span(1, "first_tts_audio", 2500),
             span(1, "first_audio_sent", 2510)]  # fmt: skip
    [row], _ = latency_rows([], None, conversation(1600.0), spans)
    assert [name for name, _ in row.stages] == ["endpointing", "llm_request", "llm_first_token", "first_clause",
                                                "tts_first_audio", "first_frame_sent"]  # fmt: skip
    assert row.total_ms == 1510.0
    assert (row.source, row.caller_v2v_ms) == ("worker spans", 1600.0)


def test_a_turn_with_missing_spans_shows_the_rest_as_unattributed() -> None:
    # given a turn whose first-token span is missing
    spans = [span(1, "caller_stopped_speaking", 0), span(1, "transcript_final", 300),
             span(1, "first_tts_audio", 1800), span(1, "first_audio_sent", 1810)]  # fmt: skip
    [row], _ = latency_rows([], None, conversation(), spans)
    # then the bar still ends at the turn's voice-to-voice
    assert dict(row.stages)["unattributed"] == 1500.0 and row.total_ms == 1810.0


def test_without_worker_figures_the_caller_measurement_is_shown_and_labelled() -> None:
    rows, note = latency_rows([], None, conversation(900.0, 700.0))
    assert [(r.label, r.total_ms, r.source) for r in rows] == [("turn 1", 900.0, "caller-measured"),
                                                               ("turn 2", 700.0, "caller-measured")]  # fmt: skip
    assert "caller" in note
