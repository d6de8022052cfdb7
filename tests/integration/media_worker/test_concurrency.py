"""One worker process holds 50 concurrent calls, each with a greeting and a spoken turn, none failing."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from datetime import datetime

import pytest

from fakes.audio import speech_like_mulaw
from media_worker.core import EndReason
from media_worker.runtime.outcome import CallIdentity
from switchboard.caller.caller import now_ms

from .harness import PlacedCall, WorkerStack

CALLS = 50


class MemoryCallStore:
    """The call records in memory: keeps 100 DynamoDB writes off the in-process moto server (whose
    request threads would otherwise compete with the event loop for the GIL during the calls)."""

    def __init__(self) -> None:
        self.status: dict[str, str] = {}

    async def mark_in_progress(self, call: CallIdentity) -> bool:
        self.status[call.call_id] = "in_progress"
        return True

    async def mark_ended(self, call: CallIdentity, *, ended_at: datetime, end_reason: EndReason) -> bool:
        self.status[call.call_id] = f"ended:{end_reason}"
        return True


async def one_call(stack: WorkerStack, call: PlacedCall, seed: int) -> float:
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end", timeout_s=30)
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(0.6, seed=seed))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=100, timeout_s=30)
        return caller.voiced_ms()


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for this test. In this test process its passes take 150-250 ms,
    and what they walk is the harness's: asyncio debug-mode source tracebacks (~140k FrameSummary objects
    at 50 calls) and moto's in-process tables, not the worker's objects. The slow-callback check stays on
    for everything the worker does. Requested before ``stack``, it is torn down last, outside the event
    loop, where the backlog is collected."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def test_fifty_concurrent_calls_all_succeed(collector_paused: None, stack: WorkerStack) -> None:
    # given 50 placed calls and an STT that hears one question on each
    stack.deepgram.script = ["I have one quick question."]
    calls = await stack.place_calls(CALLS)
    store = stack.app.store = MemoryCallStore()

    # when all 50 callers talk to the same worker at once
    heard = await asyncio.gather(*(one_call(stack, call, n) for n, call in enumerate(calls)))

    # then every call heard its greeting and its reply, and every call ended with call.ended
    assert len(heard) == CALLS and all(ms > 0 for ms in heard)
    assert len(stack.deepgram.sessions) == CALLS and len(stack.openai.requests) == CALLS
    assert all(r.messages[-1]["content"] == "I have one quick question." for r in stack.openai.requests)
    ended = [await stack.call_ended(call.call_id, timeout_s=60) for call in calls]
    assert all([t.role for t in e.transcript][:3] == ["assistant", "caller", "assistant"] for e in ended)
    assert len(stack.app.active) == 0
    assert sorted(store.status.values()) == ["ended:caller_hung_up"] * CALLS
