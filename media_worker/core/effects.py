"""Small helpers shared by the step handlers: transitions, timers, spans, ids.

Handlers take the state and a local ``out`` list, append the commands they
decide on, and return the new state. ``step`` owns the list, so the whole
step stays a pure function.
"""

from __future__ import annotations

from dataclasses import replace

from .commands import CancelTimer, Command, LogTransition, RecordSpan, StartTimer
from .state import CallState, Phase

Out = list[Command]


class Timer:
    """Timer names."""

    END_OF_TURN = "end_of_turn"
    IDLE = "idle"
    MAX_DURATION = "max_duration"
    TOOL_SLOW = "tool_slow"
    DTMF = "dtmf"
    BARGE_IN = "barge_in"
    END_GRACE = "end_grace"


class Span:
    """Per-turn span names, in the order they normally happen."""

    CALLER_STOPPED = "caller_stopped_speaking"
    TRANSCRIPT_FINAL = "transcript_final"
    LLM_REQUEST_SENT = "llm_request_sent"
    LLM_FIRST_TOKEN = "llm_first_token"
    FIRST_CLAUSE_TO_TTS = "first_clause_to_tts"
    FIRST_TTS_AUDIO = "first_tts_audio"
    FIRST_AUDIO_SENT = "first_audio_sent"
    PLAYBACK_DONE = "playback_done"
    INTERRUPTED = "interrupted"


def transition(s: CallState, out: Out, to: Phase, at_ms: float, cause: str) -> CallState:
    if s.phase == to:
        return s
    out.append(LogTransition(call_id=s.call_id, from_state=s.phase.value, to_state=to.value, at_ms=at_ms, cause=cause))
    return replace(s, phase=to)


def arm_timer(s: CallState, out: Out, name: str, delay_ms: float) -> CallState:
    generation = s.timer_seq + 1
    out.append(StartTimer(name=name, delay_ms=max(0.0, delay_ms), generation=generation))
    return replace(s, timer_seq=generation, timers={**s.timers, name: generation})


def cancel_timer(s: CallState, out: Out, name: str) -> CallState:
    if name not in s.timers:
        return s
    out.append(CancelTimer(name=name))
    return replace(s, timers={k: v for k, v in s.timers.items() if k != name})


def timer_is_current(s: CallState, name: str, generation: int) -> bool:
    """A fired timer counts only if it is the latest arming of that name (older firings are stale)."""
    return s.timers.get(name) == generation


def consume_timer(s: CallState, name: str) -> CallState:
    return replace(s, timers={k: v for k, v in s.timers.items() if k != name})


def record_span(
    s: CallState, out: Out, name: str, at_ms: float, *, turn_index: int | None = None, response_id: str | None = None
) -> CallState:
    """Record a span once per turn; later occurrences in the same turn are ignored."""
    index = s.turn_index if turn_index is None else turn_index
    if (index, name) in s.spans:
        return s
    out.append(RecordSpan(turn_index=index, name=name, at_ms=at_ms, response_id=response_id))
    kept = frozenset(x for x in s.spans if x[0] >= index - 1)  # older turns can no longer record
    return replace(s, spans=kept | {(index, name)})


def next_response_id(s: CallState) -> tuple[CallState, str]:
    seq = s.response_seq + 1
    return replace(s, response_seq=seq), f"r{seq}"


def offset_ms(s: CallState, at_ms: float) -> float:
    """Milliseconds since the stream started (what transcripts store)."""
    return max(0.0, at_ms - s.started_at_ms)


def arm_idle(s: CallState, out: Out) -> CallState:
    """Start the idle countdown: to the idle prompt, or (once prompted) on to the hang-up."""
    policy = s.config.policy
    delay = (
        policy.idle_hangup_after_ms - policy.idle_prompt_after_ms if s.idle_prompted else policy.idle_prompt_after_ms
    )
    return arm_timer(s, out, Timer.IDLE, delay)


def caller_active(s: CallState, out: Out, *, restart: bool) -> CallState:
    """The caller did something: the idle countdown starts over.

    With ``restart`` (voice activity that may be noise) the countdown is
    re-armed; otherwise (words, keys) it is stopped, because a caller turn is
    under way and its end-of-turn timer takes over.
    """
    s = replace(s, idle_prompted=False)
    if restart and s.phase == Phase.LISTENING and not s.speeches:
        return arm_idle(s, out)
    return cancel_timer(s, out, Timer.IDLE)
