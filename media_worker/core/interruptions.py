"""Barge-in: when caller speech stops the agent, and what stopping means.

Voice activity alone never interrupts: noise, a cough or "mm-hmm" would cut
the agent off. Caller speech interrupts once the transcript holds at least
``barge_in_min_words`` words that are not backchannels *and* the caller has
been speaking for ``barge_in_min_ms``. With ``barge_in_min_words == 0``
duration alone (from the STT's voice activity) interrupts. Speech that never
reaches the bar is a false interruption: the agent simply keeps talking, and
the words are dropped when the caller's utterance ends.

An interruption is one :class:`Interrupt` command: the runtime flushes the
outbound lane, sends ``clear`` and cancels the LLM and TTS. The assistant's
turn in the context is cut to what the caller heard.
"""

from __future__ import annotations

from dataclasses import replace

from .commands import Interrupt
from .effects import Out, Timer, arm_timer, cancel_timer, consume_timer, timer_is_current, transition
from .endpointing import end_of_turn_delay_ms
from .speech import cut_all
from .state import CallerTurn, CallState, Phase


def countable_words(s: CallState, caller: CallerTurn) -> int:
    """Words in the caller's turn that are not backchannels ("mm-hmm", "okay")."""
    words = [w.strip(".,;:!?\"'").lower() for w in caller.text.split()]
    return sum(1 for w in words if w and w not in s.config.backchannel_words)


def speaking_for_ms(caller: CallerTurn, now_ms: float) -> float:
    start = caller.speech_started_at_ms if caller.speech_started_at_ms is not None else caller.started_at_ms
    return 0.0 if start is None else now_ms - start


def consider_barge_in(s: CallState, out: Out, now_ms: float, *, utterance_over: bool) -> CallState:
    """The caller spoke while the agent's audio may be playing: interrupt, wait, or ignore."""
    if s.ending is not None:
        return s  # a goodbye is not interrupted
    policy = s.config.policy
    min_words = policy.barge_in_min_words
    if min_words == 0 or countable_words(s, s.caller) >= min_words:
        elapsed = speaking_for_ms(s.caller, now_ms)
        if elapsed >= policy.barge_in_min_ms:
            return interrupt(s, out, now_ms, reason="barge_in")
        if Timer.BARGE_IN not in s.timers:
            s = arm_timer(s, out, Timer.BARGE_IN, policy.barge_in_min_ms - elapsed)
        return s
    if utterance_over:
        s = cancel_timer(s, out, Timer.BARGE_IN)
        return replace(s, caller=CallerTurn())  # a false interruption: keep talking
    return s


def on_barge_in_timer(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    if not timer_is_current(s, Timer.BARGE_IN, generation):
        return s
    s = consume_timer(s, Timer.BARGE_IN)
    if not s.audible or s.ending is not None:
        return s
    policy = s.config.policy
    if policy.barge_in_min_words == 0:
        if s.caller.speech_started_at_ms is None:
            return s
    elif countable_words(s, s.caller) < policy.barge_in_min_words:
        return s
    s = interrupt(s, out, now_ms, reason="barge_in")
    # the caller's utterance may already be over: make sure their turn ends
    return arm_timer(s, out, Timer.END_OF_TURN, end_of_turn_delay_ms(s.caller.text, policy, stt_endpoint=False))


def interrupt(s: CallState, out: Out, now_ms: float, *, reason: str, audible: bool = True) -> CallState:
    """Stop every speech and the LLM response in flight; keep the caller's words as their new turn.

    ``audible=False`` is the resume-before-audio case: nothing was heard, so
    nothing is recorded. A pending tool round is kept: its result still goes
    into the context when it arrives.
    """
    s, ids, heard = cut_all(s, out, now_ms, record=audible)
    if s.response is not None and s.response.response_id not in ids:
        ids = (*ids, s.response.response_id)
    s = replace(s, response=None)
    s = cancel_timer(s, out, Timer.BARGE_IN)
    if ids:
        out.append(Interrupt(response_ids=ids, heard_text=heard, reason=reason))
    return transition(s, out, Phase.LISTENING, now_ms, reason)
