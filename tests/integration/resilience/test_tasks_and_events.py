"""SIGTERM with several live calls, and an event bus outage through real worker calls."""

from __future__ import annotations

import asyncio
import dataclasses

import boto3

from fakes.audio import speech_like_mulaw
from media_worker.app import DRAIN_GOODBYE
from switchboard.caller.caller import now_ms
from switchboard.local_aws import create_bus_and_rules

from .conftest import ResilientStack

CALLS = 3


async def test_draining_ends_every_live_call_with_a_goodbye_and_a_call_ended(resilient: ResilientStack) -> None:
    # given three live calls whose greetings played
    stack = resilient.stack
    stack.app.config = dataclasses.replace(stack.app.config, drain_limit_s=0.2)
    calls = await stack.place_calls(CALLS)
    callers = [stack.caller(call) for call in calls]
    for caller in callers:
        await caller.connect()
    await asyncio.gather(*(caller.wait_for_mark("@end") for caller in callers))
    drain_at = now_ms()

    # when the worker drains (SIGTERM)
    await stack.server.drain()
    await asyncio.gather(*(caller.wait_closed(timeout_s=15) for caller in callers))

    # then every caller heard a goodbye (audio after the drain began, played to its mark) and was hung up
    assert all(caller.voiced_ms(drain_at) >= 1000 for caller in callers)
    assert all(caller.record.close_code == 1000 for caller in callers)
    assert sum(1 for c in stack.cartesia.contexts if c.transcript == DRAIN_GOODBYE and c.done_sent) == CALLS
    # and every call ended with its call.ended
    ended = [await stack.call_ended(call.call_id) for call in calls]
    assert [e.end_reason for e in ended] == ["worker_draining"] * CALLS
    assert len(stack.app.active) == 0


async def test_call_ended_events_of_calls_during_a_bus_outage_arrive_after_recovery(resilient: ResilientStack) -> None:
    # given the event bus is unavailable
    stack = resilient.stack
    aws = stack.aws
    events = await asyncio.to_thread(boto3.client, "events")
    await asyncio.to_thread(events.delete_event_bus, Name=aws.event_bus)
    stack.deepgram.script = ["Hello?"]

    # when two calls are served and end
    calls = await stack.place_calls(2)
    for call in calls:
        async with stack.caller(call) as caller:
            await caller.wait_for_mark("@end")
            asked_at = now_ms()
            await caller.speak(speech_like_mulaw(0.6))
            await caller.silence(400)
            await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=200)
    assert not await stack.app.publisher.flush(timeout_s=0.5)
    assert stack.app.publisher.pending == 2

    # then, once the bus is back, both call.ended events are delivered
    queues, _ = await asyncio.to_thread(create_bus_and_rules, aws.endpoint_url, aws.region, aws.event_bus,
                                        "sb-recovered")  # fmt: skip
    assert await stack.app.publisher.flush(timeout_s=15)
    stack.aws.queues["post_call"] = queues["post_call"]
    ended = [await stack.call_ended(call.call_id) for call in calls]
    assert [e.call_id for e in ended] == [c.call_id for c in calls]
    assert all([t.role for t in e.transcript] == ["assistant", "caller", "assistant"] for e in ended)
