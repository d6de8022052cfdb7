"""The bench's own arithmetic, on hand-made records (run with ``.venv/bin/python -m pytest bench/tests``;
not part of CI, like the bench)."""

from __future__ import annotations

import numpy as np

from bench.caller import BenchCaller, CallResult, _summarise_audio
from bench.corpus import MAX_INNER_GAP_MS, Clip, check_phrase, shape
from bench.scenario import CYCLE, FIRST_CLAUSE_TOKENS, TRANSCRIPTS, transcript_for
from bench.stats import FLOOR_MS, pct, summarise
from bench.targets import broken
from fakes.audio import frame_rms, voice_like
from switchboard.caller import ReceivedFrame

LOUD = b"\x10" * 160  # a loud mu-law frame
QUIET = b"\xff" * 160


def caller_with(frames_at: list[float], clears: list[float] = ()) -> BenchCaller:  # type: ignore[assignment]
    caller = BenchCaller("ws://127.0.0.1:9/twilio")
    caller.record.frames = [ReceivedFrame(at, LOUD, True) for at in frames_at]
    caller.record.clears = list(clears)
    return caller


def test_outbound_gaps_count_only_pauses_inside_a_response() -> None:
    # given frames every 20 ms, one 100 ms hole, then a 3 s pause before the next reply
    times = [0.0, 20.0, 40.0, 140.0, 160.0, 3160.0, 3180.0]
    result = CallResult()
    # when the audio is summarised
    _summarise_audio(caller_with(times), result)
    # then only the 100 ms hole is a pacing gap; the 3 s pause separates two responses
    assert result.pacing_gaps == 1
    assert result.frames_received == 7


def test_sending_ahead_of_real_time_is_the_audio_buffered_at_the_caller() -> None:
    # given ten frames arriving at once (a burst 200 ms ahead of playback)
    result = CallResult()
    _summarise_audio(caller_with([0.0] * 10), result)
    # then the caller had 200 ms buffered when the last one arrived
    assert result.lead_max_ms == 200.0


def test_a_clear_empties_the_buffer_so_later_audio_is_not_counted_as_ahead() -> None:
    result = CallResult()
    _summarise_audio(caller_with([0.0] * 10 + [50.0], clears=[30.0]), result)
    assert result.lead_max_ms == 200.0  # the burst, not burst + new frame
    assert result.clears == 1


def test_overhead_is_voice_to_voice_minus_the_article_floor() -> None:
    # given a run whose two turns took floor + 10 and floor + 30 ms
    turns = [{"kind": "plain", "voice_to_voice_ms": FLOOR_MS + d, "talk_over": False, "stalled": False,
              "barge_clear_ms": None, "barge_stop_hearing_ms": None, "barge_clear_after_stt_ms": None}
             for d in (10.0, 30.0)]  # fmt: skip
    call = {"turns": turns, "error": None, "marks_received": 4, "marks_echoed": 4, "clears": 0,
            "frames_received": 100, "pacing_gaps": 0, "underrun_ms": 0.0, "lead_p95_ms": 200.0,
            "lead_max_ms": 200.0}  # fmt: skip
    run = {"agent": "switchboard", "calls": 1, "calls_detail": [call], "steady_window_s": 60.0,
           "cpu_s_in_window": 0.5, "system_cpu_s_in_window": 0.1, "idle_cpu_s_per_s": 0.0, "probe_ms": [1.0, 3.0],
           "probe_idle_ms": 1.0, "idle_rss_mb": 100.0, "peak_rss_mb": 102.0, "caller_lag_ms": [0.0],
           "load_average_before": (1.0, 1.0, 1.0)}  # fmt: skip
    # when it is summarised
    s = summarise(run)["summary"]
    # then the overhead percentiles subtract the floor, and CPU is per call-minute
    assert (s["overhead_p50_ms"], s["overhead_p99_ms"]) == (10.0, 30.0)
    assert s["cpu_s_per_call_minute"] == 0.5
    assert s["rss_per_call_mb"] == 2.0
    assert s["loop_lag_p99_ms"] == 2.0
    assert broken(s) == []


def test_the_floor_is_the_article_budget_with_the_first_clause_streamed() -> None:
    assert FIRST_CLAUSE_TOKENS == 7
    assert FLOOR_MS == 300 + 300 + 350 + 6 * 20 + 150


def test_nearest_rank_percentile() -> None:
    assert pct([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert pct([1.0, 2.0], 99) == 2.0
    assert pct([], 50) is None


def test_the_stt_script_follows_the_callers_turn_cycle() -> None:
    # every phrase a caller speaks is one utterance, in the order of the cycle, and the script wraps around
    spoken = [p.text for turn in CYCLE for p in turn.phrases]
    assert list(TRANSCRIPTS) == spoken
    assert transcript_for(len(spoken)) == spoken[0]
    assert any(turn.kind == "comma" and turn.phrases[0].text.endswith(",") for turn in CYCLE)


def test_shaping_caps_pauses_inside_a_phrase_so_the_stt_finalizes_it_once() -> None:
    # given 'speech' with a 600 ms silence in the middle (longer than the 300 ms endpointing)
    rate = 8000
    word = voice_like(0.4, sample_rate=rate)
    samples = np.concatenate([np.zeros(800), word, np.zeros(int(0.6 * rate)), word, np.zeros(800)])
    # when it is shaped for the corpus
    mulaw = shape(samples)
    # then the edges are trimmed, the inner pause is capped, and the fake STT finalizes it exactly once
    levels = frame_rms(mulaw)
    assert levels[0] > 300 and levels[-1] > 300
    assert len(mulaw) / 8 <= 800 + MAX_INNER_GAP_MS + 20
    assert check_phrase(Clip("t", "two words.", mulaw, "synthetic")) == 1
