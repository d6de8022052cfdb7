"""Protocol details of the fakes that the adapters do not exercise, through the raw SDKs."""

from __future__ import annotations

import asyncio

import openai
import pytest
from deepgram import AsyncDeepgramClient
from deepgram.listen.v1.types.listen_v1metadata import ListenV1Metadata
from deepgram.listen.v1.types.listen_v1results import ListenV1Results

from fakes import FakeDeepgram, FakeOpenAI, TextReply, ToolCall, ToolCallsReply
from fakes.audio import silence, speech_like_mulaw

pytestmark = pytest.mark.filterwarnings("ignore:websockets.exceptions.InvalidStatusCode is deprecated")


async def test_close_stream_flushes_the_open_utterance_then_sends_metadata(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given speech still in progress on a raw SDK socket
    async with deepgram_sdk.listen.v1.connect(model="nova-3", encoding="mulaw", sample_rate=8000) as socket:
        await socket.send_media(silence(0.1) + speech_like_mulaw(0.5))
        # when the client sends CloseStream
        await socket.send_close_stream()
        async with asyncio.timeout(3):
            messages = [m async for m in socket]

    # then the final result comes first, Metadata last with the stream duration
    assert isinstance(messages[0], ListenV1Results)
    assert messages[0].is_final
    assert messages[0].channel.alternatives[0].transcript == "I need to book a table for two."
    assert isinstance(messages[-1], ListenV1Metadata)
    assert messages[-1].duration == pytest.approx(0.6)
    assert deepgram_fake.last_session.close_stream


def test_the_openai_fake_serves_synchronous_clients_from_a_thread() -> None:
    # given the fake running on its own loop in a background thread
    fake = FakeOpenAI(replies=[ToolCallsReply([ToolCall("end_call", {"reason": "done"}, id="c1")])])
    with fake.in_thread():
        client = openai.OpenAI(api_key="test-openai-key", base_url=fake.base_url, max_retries=0)
        # when a synchronous, non-streaming completion asks for a tool
        completion = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "bye"}])
        client.close()

    # then the tool call comes back whole
    calls = completion.choices[0].message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [("c1", "end_call", '{"reason": "done"}')]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert fake.requests[0].completed


async def test_a_reply_can_override_the_latency_profile(
    openai_fake: FakeOpenAI, openai_sdk: openai.AsyncOpenAI
) -> None:
    # given a reply with its own token rate, when streamed, then the fake records what it sent
    openai_fake.push(TextReply("a b c", ttft_ms=0, tokens_per_s=1000))
    stream = await openai_sdk.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "a b c"
    assert openai_fake.last_request.tokens_sent == 3
