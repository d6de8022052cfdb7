"""OpenAILanguageModel (real openai SDK) against FakeOpenAI over loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from openai import AsyncOpenAI

from fakes import (
    ErrorReply,
    FakeOpenAI,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    json_reply,
)
from media_worker.providers import (
    NO_RETRY,
    Finished,
    LlmEvent,
    OpenAILanguageModel,
    RetryPolicy,
    TextDelta,
    ToolCallRequested,
    Usage,
)
from switchboard.errors import ProviderError

MESSAGES = [
    {"role": "system", "content": "You book tables."},
    {"role": "user", "content": "A table for two tomorrow at seven, please."},
]
BOOK_TOOL = {
    "type": "function",
    "function": {
        "name": "book_table",
        "description": "Book a table",
        "parameters": {"type": "object", "properties": {"party": {"type": "integer"}, "time": {"type": "string"}}},
    },
}


def model(client: AsyncOpenAI, retry: RetryPolicy = NO_RETRY) -> OpenAILanguageModel:
    return OpenAILanguageModel(client, model="gpt-test", retry=retry)


async def run(llm: OpenAILanguageModel, tools: list[dict[str, Any]] | None = None) -> list[LlmEvent]:
    async with asyncio.timeout(3):
        return [event async for event in llm.stream(MESSAGES, tools or [])]


async def test_text_streams_as_deltas_then_usage_then_finished(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI
) -> None:
    # given a scripted text reply
    openai_fake.push(TextReply("Sure, I can book that for you."))

    # when the model streams
    events = await run(model(openai_sdk))

    # then the deltas join to the text, usage is reported and Finished comes last
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 7
    assert "".join(d.text for d in deltas) == "Sure, I can book that for you."
    usage = [e for e in events if isinstance(e, Usage)]
    assert usage == [Usage(input_tokens=usage[0].input_tokens, output_tokens=7)]
    assert usage[0].input_tokens > 0
    assert events[-1] == Finished("stop")


async def test_the_request_carries_model_messages_tools_usage_option_and_key(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI
) -> None:
    # when a streamed request with a tool is made
    await run(model(openai_sdk), [BOOK_TOOL])

    # then the fake recorded it as sent
    request = openai_fake.last_request
    assert request.authorization == "Bearer test-openai-key"
    assert request.model == "gpt-test"
    assert request.messages == MESSAGES
    assert request.tools == [BOOK_TOOL]
    assert request.stream and request.include_usage
    assert request.completed and not request.cancelled


async def test_a_tool_call_is_assembled_from_its_fragments(openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI) -> None:
    # given a tool call whose arguments stream in 5-character fragments
    arguments = {"party": 2, "time": "tomorrow 19:00"}
    openai_fake.push(ToolCallsReply([ToolCall("book_table", arguments, id="call_1")], fragment_chars=5))

    # when the model streams
    events = await run(model(openai_sdk), [BOOK_TOOL])

    # then exactly one complete call is emitted, then Finished(tool_calls)
    calls = [e for e in events if isinstance(e, ToolCallRequested)]
    assert calls == [ToolCallRequested("call_1", "book_table", json.dumps(arguments))]
    assert events[-1] == Finished("tool_calls")


async def test_parallel_tool_calls_are_emitted_in_order(openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI) -> None:
    # given two parallel tool calls after a short spoken preamble
    openai_fake.push(
        ToolCallsReply(
            [ToolCall("book_table", {"party": 2}, id="a"), ToolCall("send_sms", {"to": "+15550100"}, id="b")],
            text="One moment.",
        )
    )

    # when the model streams
    events = await run(model(openai_sdk), [BOOK_TOOL])

    # then the text comes first and both calls are complete and in index order
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "One moment."
    calls = [e for e in events if isinstance(e, ToolCallRequested)]
    assert [(c.id, c.name, json.loads(c.arguments_json)) for c in calls] == [
        ("a", "book_table", {"party": 2}),
        ("b", "send_sms", {"to": "+15550100"}),
    ]


async def test_closing_the_stream_mid_reply_cancels_the_request(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI
) -> None:
    # given a slow reply (the caller barges in while it streams)
    openai_fake.push(TextReply("one two three four five six seven eight nine ten", tokens_per_s=20))
    stream = model(openai_sdk).stream(MESSAGES, [])

    # when the consumer stops after the first delta and closes the iterator
    first = await anext(stream)
    await stream.aclose()

    # then the fake saw the client go away before the reply was complete
    assert first == TextDelta("one")
    await openai_fake.wait_for(lambda: openai_fake.last_request.cancelled)
    assert not openai_fake.last_request.completed


async def test_cancelling_the_consumer_task_during_a_stall_cancels_the_request(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI
) -> None:
    # given a model that never produces a token
    openai_fake.push(StallReply())
    llm = model(openai_sdk)

    async def consume() -> list[LlmEvent]:
        return [event async for event in llm.stream(MESSAGES, [])]

    # when the runtime gives up and cancels the consuming task
    task = asyncio.create_task(consume())
    await openai_fake.wait_for(lambda: bool(openai_fake.requests))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # then the HTTP request is closed and recorded as cancelled
    await openai_fake.wait_for(lambda: openai_fake.last_request.cancelled)


async def test_a_500_is_a_retryable_provider_error(openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI) -> None:
    # given the server fails
    openai_fake.push(ErrorReply(500))

    # when the model streams without retries, then the error is typed and retryable
    with pytest.raises(ProviderError) as caught:
        await run(model(openai_sdk))
    assert caught.value.provider == "openai"
    assert caught.value.retryable


async def test_a_401_is_not_retryable_and_not_retried(
    openai_fake: FakeOpenAI, openai_sdk_wrong_key: AsyncOpenAI, fast_retry: RetryPolicy
) -> None:
    # given a wrong key
    llm = OpenAILanguageModel(openai_sdk_wrong_key, model="gpt-test", retry=fast_retry)

    # when it streams, then one attempt fails non-retryably and the key is not in the message
    with pytest.raises(ProviderError) as caught:
        await run(llm)
    assert not caught.value.retryable
    assert "wrong-key" not in str(caught.value)
    assert len(openai_fake.requests) == 0  # refused before the body was accepted


async def test_a_429_then_success_is_retried_by_the_policy(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI, fast_retry: RetryPolicy
) -> None:
    # given a rate limit on the first request
    openai_fake.push(ErrorReply(429, type="rate_limit_error"), TextReply("Done."))

    # when the model streams with the retry policy
    events = await run(model(openai_sdk, fast_retry))

    # then the second request answered
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Done."]
    assert len(openai_fake.requests) == 2


async def test_an_error_event_mid_stream_raises_provider_error(
    openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI
) -> None:
    # given a stream that fails after two tokens
    openai_fake.push(StreamErrorReply("overloaded", after_text="Let me check"))
    seen: list[LlmEvent] = []

    # when it is consumed, then the deltas before the error arrive and then a ProviderError
    with pytest.raises(ProviderError) as caught:
        async for event in model(openai_sdk).stream(MESSAGES, []):
            seen.append(event)
    assert [e.text for e in seen if isinstance(e, TextDelta)] == ["Let", " me", " check"]
    assert caught.value.retryable


async def test_structured_output_returns_the_scripted_json(openai_fake: FakeOpenAI, openai_sdk: AsyncOpenAI) -> None:
    # given a scripted structured reply (what the post-call analysis will ask for)
    openai_fake.push(json_reply({"summary": "Booked a table.", "sentiment": "positive"}))
    client = openai_sdk
    schema = {"type": "object", "properties": {"summary": {"type": "string"}, "sentiment": {"type": "string"}}}

    # when a non-streaming json_schema completion is requested with the real SDK
    completion = await client.chat.completions.create(
        model="gpt-test",
        messages=MESSAGES,  # type: ignore[arg-type]
        response_format={"type": "json_schema", "json_schema": {"name": "analysis", "schema": schema}},
    )

    # then the content is the scripted JSON and the fake recorded the schema
    assert json.loads(completion.choices[0].message.content or "") == {
        "summary": "Booked a table.",
        "sentiment": "positive",
    }
    assert openai_fake.last_request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "analysis", "schema": schema},
    }
    assert completion.usage is not None and completion.usage.completion_tokens > 0
