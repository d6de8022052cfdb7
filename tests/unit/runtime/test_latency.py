"""Turn latency from core spans, the call's summary, and the EMF lines that carry them."""

from __future__ import annotations

import json

from media_worker.core import Span
from media_worker.runtime.latency import SpanBook, percentile
from media_worker.runtime.metrics import MetricsEmitter


def play_turn(book: SpanBook, turn: int, t0: float, v2v: float) -> None:
    book.record(turn, Span.CALLER_STOPPED, t0)
    book.record(turn, Span.TRANSCRIPT_FINAL, t0 + 300)
    book.record(turn, Span.LLM_REQUEST_SENT, t0 + 301)
    book.record(turn, Span.LLM_FIRST_TOKEN, t0 + 500)
    book.record(turn, Span.FIRST_CLAUSE_TO_TTS, t0 + 550)
    book.record(turn, Span.FIRST_TTS_AUDIO, t0 + 650)


def test_a_turn_is_measured_when_its_first_frame_goes_out() -> None:
    book = SpanBook()
    play_turn(book, 1, 1000.0, 700)
    turn = book.record(1, Span.FIRST_AUDIO_SENT, 1700.0)
    assert turn is not None
    assert turn.voice_to_voice_ms == 700
    assert turn.stages_ms == {
        "endpointing": 300, "llm_request": 1, "llm_first_token": 199, "first_clause": 50,
        "tts_first_audio": 100, "first_frame_sent": 50,
    }  # fmt: skip


def test_the_greeting_turn_has_no_voice_to_voice() -> None:
    book = SpanBook()
    book.record(0, Span.FIRST_CLAUSE_TO_TTS, 10.0)
    assert book.record(0, Span.FIRST_AUDIO_SENT, 50.0) is None
    assert book.summary().turns == 0


def test_summary_has_percentiles_over_turns() -> None:
    book = SpanBook()
    for turn, v2v in enumerate([500, 700, 900, 1100], start=1):
        play_turn(book, turn, turn * 10_000.0, v2v)
        book.record(turn, Span.FIRST_AUDIO_SENT, turn * 10_000.0 + v2v)
    summary = book.summary()
    assert summary.turns == 4
    assert summary.voice_to_voice_p50_ms == 700
    assert summary.voice_to_voice_p95_ms == 1100
    assert summary.voice_to_voice_max_ms == 1100
    assert summary.stage_p50_ms["endpointing"] == 300
    assert percentile([3.0], 95) == 3.0


def test_emf_lines_carry_the_stage_dimension_and_every_figure() -> None:
    lines: list[str] = []
    emitter = MetricsEmitter(stage="dev", write=lines.append, clock=lambda: 1.5)
    book = SpanBook()
    play_turn(book, 1, 0.0, 800)
    turn = book.record(1, Span.FIRST_AUDIO_SENT, 800.0)
    assert turn is not None
    emitter.turn("ca_1", turn)
    emitter.active_calls(3)
    first, second = (json.loads(line) for line in lines)
    directive = first["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Switchboard" and directive["Dimensions"] == [["Stage"]]
    assert {m["Name"] for m in directive["Metrics"]} >= {"VoiceToVoiceMs", "LlmFirstTokenMs", "EndpointingMs"}
    assert first["Stage"] == "dev" and first["VoiceToVoiceMs"] == 800 and first["call_id"] == "ca_1"
    assert first["_aws"]["Timestamp"] == 1500
    assert second["ActiveCalls"] == 3
