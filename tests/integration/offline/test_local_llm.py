"""LlamaCppLanguageModel on the real SmolLM2-135M GGUF, greedy (temperature 0: deterministic)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from media_worker.providers import Finished, LanguageModel, LlmEvent, TextDelta, ToolCallRequested, Usage
from media_worker.providers.offline.local_llm import LlamaCppLanguageModel, LlamaEngine

pytestmark = pytest.mark.offline_models

SYSTEM = "You are the friendly phone assistant of Acme Support. Help callers with their problems."
TICKET_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "create_support_ticket",
        "description": "Create a support ticket in our system",
        "parameters": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "priority": {"enum": ["low", "medium", "high"]},
                "customer_email": {"type": "string"},
            },
        },
    },
}
END_CALL_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "end_call",
        "description": "End the call after saying goodbye. Use when the caller is done or asks to hang up.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
}
TOOLS = (TICKET_TOOL, END_CALL_TOOL)


async def run(llm: LlamaCppLanguageModel, messages: Sequence[dict[str, Any]]) -> list[LlmEvent]:
    async with asyncio.timeout(120):  # a hang guard, not a timing assertion
        return [event async for event in llm.stream(messages, TOOLS)]


def conversation(*user_lines: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM}, *({"role": "user", "content": u} for u in user_lines)]


async def test_a_greeting_gets_a_spoken_reply(llama_engine: LlamaEngine) -> None:
    llm = LlamaCppLanguageModel(llama_engine)
    assert isinstance(llm, LanguageModel)
    # when the caller greets the assistant
    events = await run(llm, conversation("Hello?"))
    # then text streams in pieces, then usage, then a normal finish, and no tool is called
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert len([e for e in events if isinstance(e, TextDelta)]) > 1
    assert len(text.split()) >= 2 and not text.startswith(" ")
    assert not any(isinstance(e, ToolCallRequested) for e in events)
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert events[-1] == Finished("stop")


@pytest.mark.parametrize(
    ("request_text", "keyword"),
    [
        ("My laptop screen is flickering, can you open a ticket for me?", "screen"),
        ("Please open a ticket: my password reset email never arrives.", "password"),
        ("I need help, my VPN keeps disconnecting every five minutes. Open a support ticket.", "vpn"),
    ],
)
async def test_a_ticket_request_calls_create_support_ticket_with_a_summary(
    llama_engine: LlamaEngine, request_text: str, keyword: str
) -> None:
    llm = LlamaCppLanguageModel(llama_engine)
    # when the caller asks for a ticket
    events = await run(llm, conversation(request_text))
    # then exactly one call to create_support_ticket is requested, with a summary about the problem
    calls = [e for e in events if isinstance(e, ToolCallRequested)]
    assert len(calls) == 1
    assert calls[0].name == "create_support_ticket"
    assert calls[0].id.startswith("call_")
    arguments = json.loads(calls[0].arguments_json)
    assert keyword in arguments["summary"].lower()
    assert arguments.get("priority", "medium") in ("low", "medium", "high")
    # and no text is spoken for it; the stream finishes as a tool call
    assert not any(isinstance(e, TextDelta) for e in events)
    assert events[-1] == Finished("tool_calls")


async def test_after_a_tool_result_the_model_speaks_instead_of_calling_again(llama_engine: LlamaEngine) -> None:
    llm = LlamaCppLanguageModel(llama_engine)
    function = {"name": "create_support_ticket", "arguments": '{"summary": "Printer broken"}'}
    call = {"id": "call_1", "type": "function", "function": function}
    messages = [
        *conversation("My printer is broken, please open a ticket."),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"ticket_id": "T-42"}'},
    ]
    events = await run(llm, messages)
    assert not any(isinstance(e, ToolCallRequested) for e in events)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)).strip()
    assert events[-1] == Finished("stop")


async def test_the_same_prompt_gives_the_same_reply(llama_engine: LlamaEngine) -> None:
    llm = LlamaCppLanguageModel(llama_engine)
    first = await run(llm, conversation("Hi, who am I speaking with?"))
    second = await run(llm, conversation("Hi, who am I speaking with?"))
    assert first == second


async def test_prewarming_the_prompt_does_not_change_the_reply(llama_engine: LlamaEngine) -> None:
    llm = LlamaCppLanguageModel(llama_engine, max_tokens=24)
    other = [{"role": "system", "content": "Other."}]
    # given a reply computed from a cold cache (another prompt evaluated last)
    await llama_engine.worker.run(lambda: llama_engine.prefill(other))
    cold = await run(llm, conversation("Hello?"))
    # when the system prompt and tools are prewarmed (call start) and the same turn runs again
    await llama_engine.worker.run(lambda: llama_engine.prefill(other))
    await llm.prewarm(conversation(), TOOLS)
    warm = await run(llm, conversation("Hello?"))
    # then the reply is the same
    assert warm == cold


async def test_closing_the_stream_early_stops_generation_and_frees_the_model(llama_engine: LlamaEngine) -> None:
    llm = LlamaCppLanguageModel(llama_engine, max_tokens=120)
    # given a reply that has started streaming
    stream = llm.stream(conversation("Tell me about your company."), TOOLS)
    async with asyncio.timeout(120):
        first = await anext(stream)
        assert isinstance(first, TextDelta)
        # when the consumer closes it (barge-in)
        await stream.aclose()
        # then the model is free for the next request, which completes normally
        events = await run(llm, conversation("Hello?"))
    assert isinstance(events[-1], Finished) and events[-1].reason == "stop"
