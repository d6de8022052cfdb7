"""The caller's side of the conversation: transcripts, end of turn, resume, DTMF.

A caller turn collects STT results until the end-of-turn policy
(:mod:`.endpointing`) commits it: the text becomes a user message and the LLM
is asked for a reply. If the caller goes on talking after the commit but
before any reply audio was sent, the reply is dropped and the committed text
is reopened, so the turn continues as one (a resume, not a barge-in).
"""

from __future__ import annotations

from dataclasses import replace

from .effects import (
    Out,
    Span,
    Timer,
    arm_idle,
    arm_timer,
    caller_active,
    cancel_timer,
    consume_timer,
    offset_ms,
    record_span,
    timer_is_current,
    transition,
)
from .endpointing import end_of_turn_delay_ms
from .events import CallerSpeechStarted, DtmfReceived, TranscriptUpdated, UtteranceEnded
from .interruptions import consider_barge_in, interrupt
from .replies import start_response
from .state import CallerTurn, CallState, Phase, TurnRecord

DTMF_DIGITS = frozenset("0123456789*#ABCD")
COMMITTED_SLACK_S = 0.05
INACTIVE = frozenset({Phase.CONNECTING, Phase.ENDED})
TURN_PHASES = frozenset({Phase.LISTENING, Phase.GREETING})
"""Phases in which a caller turn may end (elsewhere the agent holds the floor or the turn is already committed)."""


def on_speech_started(s: CallState, out: Out, e: CallerSpeechStarted) -> CallState:
    if s.phase in INACTIVE:
        return s
    s = replace(s, caller=replace(s.caller, speech_started_at_ms=e.now_ms))
    s = caller_active(s, out, restart=True)
    if s.audible and s.config.policy.barge_in_min_words == 0:
        return consider_barge_in(s, out, e.now_ms, utterance_over=False)
    if s.phase in TURN_PHASES and Timer.END_OF_TURN in s.timers:
        # the caller started again during a hold: wait for what they say
        return _arm_end_of_turn(s, out, stt_endpoint=False)
    return s


def on_transcript(s: CallState, out: Out, e: TranscriptUpdated) -> CallState:
    if s.phase in INACTIVE:
        return s
    fresh = _without_committed_words(e, s.committed_until_s)
    if fresh is None:
        return s  # a late result for words already committed
    e = fresh
    s = replace(s, caller=_updated(s.caller, e))
    if not s.caller.text and not s.caller.dtmf:
        if s.audible:
            return consider_barge_in(s, out, e.now_ms, utterance_over=e.speech_final)
        return s
    s = caller_active(s, out, restart=False)
    if s.audible:
        s = consider_barge_in(s, out, e.now_ms, utterance_over=e.speech_final)
        if s.audible or s.caller.is_empty:
            return s  # the agent keeps the floor
    if s.phase == Phase.THINKING:
        s = resume(s, out, e.now_ms)
    elif s.phase == Phase.TOOL:
        s = transition(s, out, Phase.LISTENING, e.now_ms, "caller_speaking")
    if e.speech_final:
        return _end_of_speech(s, out, e.now_ms)
    return _arm_end_of_turn(s, out, stt_endpoint=False)


def on_utterance_end(s: CallState, out: Out, e: UtteranceEnded) -> CallState:
    if s.phase in INACTIVE:
        return s
    s = replace(s, caller=replace(s.caller, speech_started_at_ms=None))
    if s.audible:
        s = consider_barge_in(s, out, e.now_ms, utterance_over=True)
        if s.audible:
            return s
    if s.caller.text and s.phase in TURN_PHASES:
        return _end_of_speech(s, out, e.now_ms)
    return s


def on_end_of_turn_timer(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    if not timer_is_current(s, Timer.END_OF_TURN, generation):
        return s
    s = consume_timer(s, Timer.END_OF_TURN)
    if s.phase in TURN_PHASES and not s.caller.is_empty and not s.audible:
        return commit_turn(s, out, now_ms, cause="silence_fallback")
    if s.phase == Phase.LISTENING and not s.speeches:
        return arm_idle(s, out)
    return s


def on_dtmf(s: CallState, out: Out, e: DtmfReceived) -> CallState:
    """Key presses are batched (until ``#`` or a short pause) and reach the LLM as ``[DTMF] 1 2 #``."""
    digit = e.digit.strip().upper()
    if s.phase in INACTIVE or len(digit) != 1 or digit not in DTMF_DIGITS:
        return s
    caller = replace(
        s.caller,
        dtmf=s.caller.dtmf + digit,
        started_at_ms=s.caller.started_at_ms if s.caller.started_at_ms is not None else e.now_ms,
        last_voice_at_ms=e.now_ms,
    )
    s = replace(s, caller=caller, dtmf_log=(*s.dtmf_log, digit))
    s = caller_active(s, out, restart=False)
    if digit == "#":
        return _flush_dtmf(s, out, e.now_ms)
    return arm_timer(s, out, Timer.DTMF, s.config.policy.dtmf_flush_ms)


def on_dtmf_timer(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    if not timer_is_current(s, Timer.DTMF, generation):
        return s
    return _flush_dtmf(consume_timer(s, Timer.DTMF), out, now_ms)


def resume(s: CallState, out: Out, now_ms: float) -> CallState:
    """The caller went on before any reply was audible: drop the reply, reopen their turn."""
    s = interrupt(s, out, now_ms, reason="caller_resumed", audible=False)
    last = s.context.messages[-1] if s.context.messages else None
    if s.fold_on_resume and last is not None and last.role == "user":
        context, previous = s.context.without_last_user()
        transcript = s.transcript
        started = s.caller.started_at_ms
        if transcript and transcript[-1].role == "caller":
            started = s.started_at_ms + transcript[-1].start_ms
            transcript = transcript[:-1]
        caller = replace(s.caller, finals=(previous, *s.caller.finals), started_at_ms=started)
        s = replace(s, context=context, transcript=transcript, caller=caller)
    return replace(s, fold_on_resume=False)


def commit_turn(s: CallState, out: Out, now_ms: float, *, cause: str) -> CallState:
    """End the caller's turn: record it, add it to the context and ask the LLM (or wait for tools)."""
    caller = s.caller
    text = caller.text
    if caller.dtmf:
        text = f"{text} [DTMF] {' '.join(caller.dtmf)}".strip()
    if not text:
        return s
    if s.speeches or s.response is not None:
        s = interrupt(s, out, now_ms, reason="caller_turn", audible=s.audible)
    stopped = _stopped_at(s, caller, now_ms)
    s = replace(s, turn_index=s.turn_index + 1)
    s = record_span(s, out, Span.CALLER_STOPPED, stopped)
    s = record_span(s, out, Span.TRANSCRIPT_FINAL, now_ms)
    start = caller.started_at_ms if caller.started_at_ms is not None else stopped
    record = TurnRecord(role="caller", text=text, start_ms=offset_ms(s, start), end_ms=offset_ms(s, stopped))
    committed = max(s.committed_until_s, caller.last_word_end_s if caller.last_word_end_s is not None else -1.0)
    s = replace(
        s,
        context=s.context.with_user(text),
        transcript=(*s.transcript, record),
        caller=CallerTurn(),
        committed_until_s=committed,
    )
    for name in (Timer.END_OF_TURN, Timer.DTMF, Timer.IDLE):
        s = cancel_timer(s, out, name)
    if s.tool_round is not None:
        return transition(s, out, Phase.TOOL, now_ms, "awaiting_tool_results")
    return start_response(s, out, now_ms, resumable=True, cause=cause)


def _without_committed_words(e: TranscriptUpdated, committed_until_s: float) -> TranscriptUpdated | None:
    """Drop words of audio already committed to a turn (a late or revised STT result for them).

    Returns ``None`` when nothing new is left. STT revisions may shift word
    times slightly, so a word counts as committed when it starts before the
    committed end.
    """
    if not e.words or committed_until_s < 0:
        return e
    fresh = tuple(w for w in e.words if w.start_s >= committed_until_s - COMMITTED_SLACK_S)
    if not fresh:
        return None
    if len(fresh) == len(e.words):
        return e
    return replace(e, text=" ".join(w.text for w in fresh), words=fresh)


def _updated(caller: CallerTurn, e: TranscriptUpdated) -> CallerTurn:
    text = e.text.strip()
    if e.is_final:
        caller = replace(caller, finals=(*caller.finals, text) if text else caller.finals, interim="")
    else:
        caller = replace(caller, interim=text)
    if text:
        started = caller.started_at_ms
        if started is None:
            started = caller.speech_started_at_ms if caller.speech_started_at_ms is not None else e.now_ms
        last_end = e.words[-1].end_s if e.words else caller.last_word_end_s
        caller = replace(caller, started_at_ms=started, last_voice_at_ms=e.now_ms, last_word_end_s=last_end)
    if e.speech_final:
        caller = replace(caller, speech_started_at_ms=None)
    return caller


def _end_of_speech(s: CallState, out: Out, now_ms: float) -> CallState:
    """The STT says the caller paused: end the turn now, or hold it if they sound mid-sequence."""
    delay = end_of_turn_delay_ms(s.caller.text, s.config.policy, stt_endpoint=True)
    if delay <= 0 and not s.caller.dtmf:
        return commit_turn(s, out, now_ms, cause="end_of_turn")
    return arm_timer(s, out, Timer.END_OF_TURN, max(delay, 1.0))


def _arm_end_of_turn(s: CallState, out: Out, *, stt_endpoint: bool) -> CallState:
    delay = end_of_turn_delay_ms(s.caller.text, s.config.policy, stt_endpoint=stt_endpoint)
    return arm_timer(s, out, Timer.END_OF_TURN, delay)


def _flush_dtmf(s: CallState, out: Out, now_ms: float) -> CallState:
    if not s.caller.dtmf or s.ending is not None:
        return s
    s = cancel_timer(s, out, Timer.DTMF)
    if s.audible:
        s = interrupt(s, out, now_ms, reason="dtmf")
    elif s.phase == Phase.THINKING:
        s = resume(s, out, now_ms)
    return commit_turn(s, out, now_ms, cause="dtmf")


def _stopped_at(s: CallState, caller: CallerTurn, now_ms: float) -> float:
    """When the caller stopped speaking: from the last word's STT timestamp when known."""
    if caller.last_word_end_s is not None:
        return min(now_ms, s.started_at_ms + caller.last_word_end_s * 1000.0)
    return caller.last_voice_at_ms if caller.last_voice_at_ms is not None else now_ms
