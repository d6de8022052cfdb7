"""Tool calls mid-call: arguments validated first, valid calls run against a local webhook, end_call hangs up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from fakes import TextReply, ToolCall, ToolCallsReply
from fakes.audio import speech_like_mulaw
from media_worker.core import Phrases
from switchboard.caller.caller import now_ms
from switchboard.models import ToolDefinition

from .harness import WorkerStack, assistant
from .local_http import HttpToolInvoker, LocalHttpServer

SCHEMA = {
    "type": "object",
    "properties": {"date": {"type": "string"}, "party_size": {"type": "integer", "minimum": 1}},
    "required": ["date", "party_size"],
    "additionalProperties": False,
}


@pytest.fixture
async def webhook() -> AsyncIterator[LocalHttpServer]:
    server = await LocalHttpServer(respond=lambda request: (200, {"available": ["19:00", "20:30"]})).start()
    yield server
    await server.aclose()


@pytest.fixture
async def tool_stack(stack: WorkerStack, webhook: LocalHttpServer) -> WorkerStack:
    tool = ToolDefinition(name="check_availability", description="Free tables on a date.", parameters=SCHEMA,
                          webhook_url=f"{webhook.url}/hook", timeout_ms=2000)  # fmt: skip
    await stack.add_assistant(assistant("as_tools", tools=(tool,)))
    stack.app.tool_invoker = HttpToolInvoker()
    stack.deepgram.script = ["Do you have a table tomorrow for two?"]
    return stack


async def ask(stack: WorkerStack) -> None:
    call = await stack.place_call(assistant_id="as_tools")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)


def tool_messages(stack: WorkerStack) -> list[dict[str, object]]:
    return [m for m in stack.openai.requests[1].messages if m["role"] == "tool"]


async def test_a_valid_tool_call_runs_the_webhook_and_its_result_reaches_the_llm(
    tool_stack: WorkerStack, webhook: LocalHttpServer
) -> None:
    tool_stack.openai.push(
        ToolCallsReply([ToolCall("check_availability", {"date": "2026-11-26", "party_size": 2}, id="call_1")]),
        TextReply("We have tables at seven or half past eight."),
    )
    await ask(tool_stack)

    assert [r.body["arguments"] for r in webhook.requests] == [{"date": "2026-11-26", "party_size": 2}]
    assert webhook.requests[0].body["idempotency_key"].endswith(":call_1")
    (result,) = tool_messages(tool_stack)
    assert result["tool_call_id"] == "call_1"
    assert json.loads(str(result["content"])) == {"available": ["19:00", "20:30"]}


async def test_invalid_arguments_go_back_to_the_llm_without_calling_the_webhook(
    tool_stack: WorkerStack, webhook: LocalHttpServer
) -> None:
    tool_stack.openai.push(
        ToolCallsReply([ToolCall("check_availability", {"date": 5, "party_size": 0}, id="call_2")]),
        TextReply("Which date would you like?"),
    )
    await ask(tool_stack)

    assert webhook.requests == []
    (result,) = tool_messages(tool_stack)
    problems = json.loads(str(result["content"]))["problems"]
    assert any(p.startswith("date:") for p in problems) and any(p.startswith("party_size:") for p in problems)


async def test_end_call_says_goodbye_then_hangs_up(stack: WorkerStack) -> None:
    stack.deepgram.script = ["That's all, thanks, bye."]
    stack.openai.push(ToolCallsReply([ToolCall("end_call", {})]))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the worker itself closes the stream after the goodbye played
        await caller.wait_closed(timeout_s=15)
        assert caller.record.close_code == 1000

    assert any(c.transcript == Phrases().goodbye for c in stack.cartesia.contexts)
    ended = await stack.call_ended(call.call_id)
    assert ended.end_reason == "assistant_ended"
    assert ended.transcript[-1].text == Phrases().goodbye and not ended.transcript[-1].interrupted
