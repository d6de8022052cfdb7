"""Random fact sequences: step never raises and the loop's invariants hold."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_worker.core import (
    AudioFramesSent,
    CallerSpeechStarted,
    CallState,
    CarrierStreamStopped,
    DtmfReceived,
    EndCall,
    Event,
    Interrupt,
    LlmFailed,
    LlmResponseCompleted,
    LlmTextReceived,
    LlmToolCallRequested,
    Phase,
    PlaybackMarked,
    SendMark,
    StartTimer,
    StreamStarted,
    TimerFired,
    ToolResultReceived,
    ToolSpec,
    TranscriptUpdated,
    TtsAudioReceived,
    TtsFailed,
    TtsFinished,
    UtteranceEnded,
    new_call,
    step,
    transcript_turns,
)

from .driver import config

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "speech", "interim", "final", "speech_final", "utterance_end", "llm_text", "llm_tool", "llm_done",
                "llm_fail", "tts_audio", "tts_done", "tts_fail", "frames", "mark", "dtmf", "tool_result", "timer",
            ]
        ),
        st.integers(0, 5),
        st.floats(0, 3000),
    ),
    max_size=80,
)  # fmt: skip
TEXTS = ["", "yes", "my number is 4 1 5,", "I need a table for two.", "mm-hmm", "and"]
LLM = ["Sure. ", "We open at nine, ", "and close at five. ", " ", "Let me check."]


def build(state: CallState, action: str, pick: int, now: float, sent: list[str]) -> Event | None:
    rid = state.response.response_id if state.response else (state.speeches[0].response_id if state.speeches else "r1")
    text = TEXTS[pick % len(TEXTS)]
    match action:
        case "speech":
            return CallerSpeechStarted(now_ms=now)
        case "interim" | "final" | "speech_final":
            return TranscriptUpdated(
                now_ms=now, text=text, is_final=action != "interim", speech_final=action == "speech_final"
            )
        case "utterance_end":
            return UtteranceEnded(now_ms=now)
        case "llm_text":
            return LlmTextReceived(now_ms=now, response_id=rid, text=LLM[pick % len(LLM)])
        case "llm_tool":
            name = ["lookup", "end_call", "nope"][pick % 3]
            return LlmToolCallRequested(
                now_ms=now, response_id=rid, tool_call_id=f"c{pick}", name=name, arguments_json="{}"
            )
        case "llm_done":
            return LlmResponseCompleted(now_ms=now, response_id=rid)
        case "llm_fail":
            return LlmFailed(now_ms=now, response_id=rid, reason="x")
        case "tts_audio":
            return TtsAudioReceived(now_ms=now, response_id=rid, duration_ms=100.0 * (pick + 1))
        case "tts_done":
            return TtsFinished(now_ms=now, response_id=rid)
        case "tts_fail":
            return TtsFailed(now_ms=now, response_id=rid, reason="x")
        case "frames":
            return AudioFramesSent(now_ms=now, response_id=rid)
        case "mark":
            return PlaybackMarked(now_ms=now, name=sent[pick % len(sent)]) if sent else None
        case "dtmf":
            return DtmfReceived(now_ms=now, digit="12#"[pick % 3])
        case "tool_result":
            return ToolResultReceived(now_ms=now, tool_call_id=f"c{pick}", result_json="{}")
        case "timer":
            if not state.timers:
                return None
            name = sorted(state.timers)[pick % len(state.timers)]
            return TimerFired(now_ms=now, name=name, generation=state.timers[name])
        case _:
            return CarrierStreamStopped(now_ms=now)


def check_context(state: CallState) -> None:
    asked: set[str] = set()
    for message in state.context.messages:
        asked |= {c.id for c in message.tool_calls}
        if message.role == "tool":
            assert message.tool_call_id in asked


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_facts_never_break_the_loop(actions: list[tuple[str, int, float]]) -> None:
    lookup = ToolSpec(name="lookup", description="d", parameters={"type": "object"})
    state = new_call("fuzz", replace(config(), tools=(lookup,)))
    now = 0.0
    state, _ = step(state, StreamStarted(now_ms=now))
    sent: list[str] = []
    ends = 0
    for action, pick, gap in [*actions, ("stop", 0, 1.0)]:
        now += gap
        event = build(state, action, pick, now, sent)
        if event is None:
            continue
        was_ended = state.phase == Phase.ENDED
        state, commands = step(state, event)
        sent += [c.name for c in commands if isinstance(c, SendMark)]
        ends += sum(isinstance(c, EndCall) for c in commands)
        # invariants
        if was_ended:
            assert commands == []
        assert all(c.response_ids for c in commands if isinstance(c, Interrupt))
        assert all(c.delay_ms >= 0 for c in commands if isinstance(c, StartTimer))
        synthesising = [s for s in state.speeches if s.released and not s.tts_done]
        assert len(synthesising) <= 1
        assert (
            all(not s.released for s in state.speeches[state.speeches.index(synthesising[0]) + 1 :])
            if synthesising
            else True
        )
        check_context(state)
    # the call always ends exactly once
    assert state.phase == Phase.ENDED and ends == 1
    for turn in transcript_turns(state):
        assert turn.end_ms >= turn.start_ms
