"""A worker's LLM breaker opens after calls fail on the primary, sends new calls to the secondary,
and closes again when a half-open probe finds the primary healthy."""

from __future__ import annotations

import logging

import pytest

from fakes import ErrorReply, TextReply
from fakes.audio import speech_like_mulaw
from media_worker.runtime.breakers import BreakerState
from switchboard.caller.caller import now_ms

from .conftest import SECONDARY_REPLY, ResilientStack, resilient_assistant

PRIMARY_REPLY = "Main here."
THRESHOLD = 2
COOLDOWN_S = 30.0


async def one_call(resilient: ResilientStack) -> str:
    """A call with one question; returns the answer the caller heard (its TTS context)."""
    stack = resilient.stack
    call = await stack.place_call(assistant_id="as_breaker")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(0.6))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)
        await caller.wait_for_mark("@end", count=2)
    return stack.cartesia.connections[-1].contexts[list(stack.cartesia.connections[-1].contexts)[-1]].transcript


async def test_a_circuit_opens_sends_new_calls_to_the_secondary_then_a_probe_closes_it(
    resilient: ResilientStack, caplog: pytest.LogCaptureFixture
) -> None:
    # given an assistant whose LLM breaker opens after 2 failing calls, and a primary that fails
    # every attempt of those calls (the fast retry policy makes 2 attempts each)
    stack = resilient.stack
    caplog.set_level(logging.WARNING, logger="media_worker")
    breaker_settings = {"failure_threshold": THRESHOLD, "cooldown_s": COOLDOWN_S}
    await resilient.add(resilient_assistant("as_breaker", llm_secondary={"model": "backup-model"},
                                            breaker=breaker_settings))  # fmt: skip
    stack.deepgram.script = ["Hello?"]
    stack.openai.default_reply = TextReply(PRIMARY_REPLY)
    stack.openai.push(*[ErrorReply(500)] * (2 * THRESHOLD))

    # when calls 1..N fail on the primary, each is answered by the secondary
    answers = [await one_call(resilient) for _ in range(THRESHOLD)]
    assert answers == [SECONDARY_REPLY] * THRESHOLD
    breaker = resilient.breakers.get("llm:openai:gpt-4o-mini")
    assert breaker.state is BreakerState.OPEN
    primary_requests = len(stack.openai.requests)

    # then call N+1 starts on the secondary: the primary sees no request at all
    assert await one_call(resilient) == SECONDARY_REPLY
    assert len(stack.openai.requests) == primary_requests

    # when the cool-down has passed, the next call is the half-open probe; the primary has recovered
    resilient.clock.advance(COOLDOWN_S + 1)
    assert await one_call(resilient) == PRIMARY_REPLY
    assert breaker.state is BreakerState.CLOSED
    # and the call after it is back on the primary
    assert await one_call(resilient) == PRIMARY_REPLY
    assert len(stack.openai.requests) == primary_requests + 2

    states = [(t.from_state, t.to_state) for t in resilient.breakers.transitions if t.breaker == breaker.name]
    assert states == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    logged = [r for r in caplog.records if r.getMessage() == "breaker transition"]
    assert [(r.from_state, r.to_state) for r in logged] == states
    assert all(r.call_id.startswith("ca_") for r in logged)
    failovers = [r for r in caplog.records if r.getMessage() == "llm failover"]
    assert [r.reason for r in failovers] == ["error"] * THRESHOLD + ["breaker_open"]
