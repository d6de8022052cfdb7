"""The call's life: greeting, playback completion, idling, time limits, TTS failure and the end."""

from __future__ import annotations

from dataclasses import replace

from .commands import CancelResponse, EndCall, PlayFallbackApology, SendMark, TransferCall
from .effects import (
    Out,
    Timer,
    arm_idle,
    arm_timer,
    consume_timer,
    next_response_id,
    offset_ms,
    timer_is_current,
    transition,
)
from .events import EndReason, PlaybackMarked, StreamStarted, TtsFailed
from .heard import end_mark_name, parse_mark
from .interruptions import interrupt
from .replies import speak
from .speech import complete_speech, cut_all, finish, on_offset_mark
from .state import CallState, Ending, Phase, Speech, SpeechKind, TurnRecord


def on_stream_started(s: CallState, out: Out, e: StreamStarted) -> CallState:
    """Play the greeting at once; start the call's time limit."""
    if s.phase != Phase.CONNECTING:
        return s
    s = replace(s, started_at_ms=e.now_ms)
    s = arm_timer(s, out, Timer.MAX_DURATION, s.config.policy.max_duration_ms)
    greeting = s.config.first_message.strip()
    if not greeting:
        s = transition(s, out, Phase.LISTENING, e.now_ms, "stream_started")
        return arm_idle(s, out)
    s = transition(s, out, Phase.GREETING, e.now_ms, "stream_started")
    s, response_id = next_response_id(s)
    s = speak(s, out, response_id, SpeechKind.GREETING, greeting, e.now_ms, turn_index=0)
    return finish(s, out, response_id, e.now_ms)


def on_mark(s: CallState, out: Out, e: PlaybackMarked) -> CallState:
    parsed = parse_mark(e.name)
    if parsed is None or s.phase == Phase.ENDED:
        return s
    response_id, offset = parsed
    if offset is not None:
        return on_offset_mark(s, response_id, offset, e.now_ms)
    if s.speech(response_id) is None:
        return s  # a mark of a speech already cut (carriers echo marks dropped by clear)
    s = complete_speech(s, out, response_id, e.now_ms)
    return after_speech_done(s, out, e.now_ms)


def after_speech_done(s: CallState, out: Out, now_ms: float) -> CallState:
    """A speech finished playing: end the call, or hand the floor back to the caller."""
    if s.speeches:
        return s
    if s.ending is not None:
        return end_now(s, out, now_ms, s.ending.reason)
    if s.phase in (Phase.GREETING, Phase.THINKING, Phase.SPEAKING) and s.response is None:
        s = transition(s, out, Phase.LISTENING, now_ms, "playback_done")
        return arm_idle(s, out)
    if s.phase == Phase.LISTENING and s.caller.is_empty:
        return arm_idle(s, out)
    return s


def on_idle_timer(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    """Silence: ask once whether the caller is still there, then hang up."""
    if not timer_is_current(s, Timer.IDLE, generation):
        return s
    s = consume_timer(s, Timer.IDLE)
    if s.phase != Phase.LISTENING or s.speeches or not s.caller.is_empty:
        return s
    if s.idle_prompted:
        return end_now(s, out, now_ms, "idle_timeout")
    s = replace(s, idle_prompted=True)
    s, response_id = next_response_id(s)
    s = speak(s, out, response_id, SpeechKind.IDLE_PROMPT, s.config.phrases.idle_prompt, now_ms, s.turn_index)
    return finish(s, out, response_id, now_ms)


def on_max_duration(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    """Time is up: stop whatever is going on, say so, and end the call."""
    if not timer_is_current(s, Timer.MAX_DURATION, generation) or s.phase == Phase.ENDED:
        return s
    s = consume_timer(s, Timer.MAX_DURATION)
    if s.ending is not None:
        return s
    s = interrupt(s, out, now_ms, reason="max_duration", audible=s.audible)
    s = replace(s, ending=Ending(reason="max_duration"), tool_round=None)
    s, response_id = next_response_id(s)
    s = speak(s, out, response_id, SpeechKind.GOODBYE, s.config.phrases.max_duration_goodbye, now_ms, s.turn_index)
    s = finish(s, out, response_id, now_ms)
    return arm_timer(s, out, Timer.END_GRACE, s.config.policy.end_grace_ms)


def on_end_grace(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    """The goodbye never confirmed its playback: end anyway."""
    if not timer_is_current(s, Timer.END_GRACE, generation):
        return s
    s = consume_timer(s, Timer.END_GRACE)
    reason: EndReason = s.ending.reason if s.ending is not None else "assistant_ended"
    return end_now(s, out, now_ms, reason)


def on_tts_failed(s: CallState, out: Out, e: TtsFailed) -> CallState:
    """TTS is down: stop its speech (audio already sent plays out) and play the pre-rendered apology."""
    if s.speech(e.response_id) is None or s.phase == Phase.ENDED:
        return s
    if s.ending is not None:
        return end_now(s, out, e.now_ms, s.ending.reason)
    s, ids, _ = cut_all(s, out, e.now_ms)
    if s.response is not None and s.response.response_id not in ids:
        ids = (*ids, s.response.response_id)
    for response_id in ids:
        out.append(CancelResponse(response_id=response_id))
    s, clip_id = next_response_id(s)
    text = s.config.phrases.apology
    clip = Speech(
        response_id=clip_id,
        kind=SpeechKind.APOLOGY,
        created_at_ms=e.now_ms,
        turn_index=s.turn_index,
        segments=(text,),
        finish_requested=True,
        finish_sent=True,
        tts_done=True,
        fallback_clip=True,
    )
    out.append(PlayFallbackApology(response_id=clip_id))
    out.append(SendMark(name=end_mark_name(clip_id)))
    s = replace(s, response=None, speeches=(clip,))
    if s.phase == Phase.THINKING:
        s = transition(s, out, Phase.SPEAKING, e.now_ms, "tts_failed")
    return s


def end_now(s: CallState, out: Out, now_ms: float, reason: EndReason) -> CallState:
    """End the call: record what was heard and what the caller said last, then hang up (or transfer)."""
    if s.phase == Phase.ENDED:
        return s
    s, _, _ = cut_all(s, out, now_ms, record=True)
    caller = s.caller
    if caller.text:
        start = caller.started_at_ms if caller.started_at_ms is not None else now_ms
        end = caller.last_voice_at_ms if caller.last_voice_at_ms is not None else now_ms
        record = TurnRecord(role="caller", text=caller.text, start_ms=offset_ms(s, start), end_ms=offset_ms(s, end))
        s = replace(s, transcript=(*s.transcript, record))
    if s.ending is not None and s.ending.transfer_to is not None and reason == "transferred":
        out.append(TransferCall(destination=s.ending.transfer_to))
    out.append(EndCall(reason=reason))
    s = transition(s, out, Phase.ENDED, now_ms, reason)
    return replace(s, end_reason=reason, ended_at_ms=now_ms, response=None, timers={}, tool_round=None)
