"""SIGTERM draining and ECS task scale-in protection."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from media_worker.app import DRAIN_GOODBYE
from media_worker.runtime.drain import ActiveCalls, TaskProtection

from .harness import WorkerStack
from .local_http import LocalHttpServer


async def status_of(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await connect(url)
    return refused.value.response.status_code


async def test_draining_fails_health_refuses_new_streams_and_ends_live_calls_with_a_goodbye(
    stack: WorkerStack,
) -> None:
    # given a live call and a short drain limit
    stack.app.config = dataclasses.replace(stack.app.config, drain_limit_s=0.5)
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when the worker drains
        drain = asyncio.create_task(stack.server.drain())
        await asyncio.sleep(0.05)
        # then health fails and a new stream is refused, while the live call continues
        assert await status_of(f"{stack.url}/healthz") == 503
        assert await status_of(f"{stack.url}/twilio") == 503
        # and after the limit the caller hears a goodbye and the worker hangs up
        await caller.wait_closed(timeout_s=15)
        await drain

    assert caller.record.close_code == 1000
    assert any(c.transcript == DRAIN_GOODBYE for c in stack.cartesia.contexts)
    assert len(stack.app.active) == 0
    ended = await stack.call_ended(call.call_id)
    assert ended.end_reason == "worker_draining"


async def test_task_protection_follows_the_first_and_last_call() -> None:
    # given an ECS agent endpoint on loopback
    agent = await LocalHttpServer(respond=lambda request: (200, {"protection": {}})).start()
    protection = TaskProtection(agent.url, expires_in_minutes=60)
    calls = ActiveCalls(protection)
    first, second = _Call(), _Call()
    try:
        # when calls go 0 -> 1 -> 2 -> 1 -> 0
        calls.add(first)
        await protection.settled()
        calls.add(second)
        calls.discard(first)
        calls.discard(second)
        await protection.settled()
    finally:
        await protection.aclose()
        await agent.aclose()

    # then protection was set once and cleared once
    assert [(r.method, r.path) for r in agent.requests] == [("PUT", "/task-protection/v1/state")] * 2
    assert [r.body for r in agent.requests] == [
        {"ProtectionEnabled": True, "ExpiresInMinutes": 60},
        {"ProtectionEnabled": False},
    ]


async def test_task_protection_is_a_no_op_off_ecs() -> None:
    protection = TaskProtection(None)
    calls = ActiveCalls(protection)
    calls.add(_Call())
    await protection.settled()
    assert not protection.enabled and protection.requests == 0


class _Call:
    def __init__(self) -> None:
        self.ended = asyncio.Event()

    async def say_goodbye_and_end(self, text: str, timeout_s: float = 8.0) -> None:
        self.ended.set()
