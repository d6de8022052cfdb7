"""DeepgramSpeechToText (real deepgram-sdk) against FakeDeepgram over loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from deepgram import AsyncDeepgramClient

from fakes import FakeDeepgram
from fakes.audio import frames, silence, speech_like_mulaw
from media_worker.providers import (
    DeepgramSpeechToText,
    RetryPolicy,
    SpeechStarted,
    SttEvent,
    Transcript,
    UtteranceEnd,
)
from switchboard.errors import ProviderError

pytestmark = pytest.mark.filterwarnings("ignore:websockets.exceptions.InvalidStatusCode is deprecated")


def utterance_audio(lead_s: float = 0.2, speech_s: float = 1.2, tail_s: float = 1.5, seed: int = 1) -> bytes:
    return silence(lead_s) + speech_like_mulaw(speech_s, seed=seed) + silence(tail_s)


def adapter(client: AsyncDeepgramClient, **options: object) -> DeepgramSpeechToText:
    return DeepgramSpeechToText(
        client,
        endpointing_ms=300,
        utterance_end_ms=1000,
        **options,  # type: ignore[arg-type]
    )


async def send(stt: DeepgramSpeechToText, audio: bytes) -> None:
    for frame in frames(audio):
        await stt.send_audio(frame)


async def collect(events: AsyncIterator[SttEvent], until: Callable[[SttEvent], bool]) -> list[SttEvent]:
    seen: list[SttEvent] = []
    async with asyncio.timeout(3):
        async for event in events:
            seen.append(event)
            if until(event):
                return seen
    return seen


async def test_an_utterance_yields_speech_started_interims_a_speech_final_and_utterance_end(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given a connected stream
    stt = adapter(deepgram_sdk)
    await stt.connect()
    try:
        # when 0.2 s of silence, 1.2 s of speech and 1.5 s of silence are streamed in 20 ms frames
        collecting = asyncio.create_task(collect(stt.events(), lambda e: isinstance(e, UtteranceEnd)))
        await send(stt, utterance_audio())
        events = await collecting
    finally:
        await stt.aclose()

    # then speech starts where the audio does, interims reveal the script, the final carries it all
    assert isinstance(events[0], SpeechStarted)
    assert events[0].timestamp_s == pytest.approx(0.2, abs=0.02)
    interims = [e for e in events if isinstance(e, Transcript) and not e.is_final]
    finals = [e for e in events if isinstance(e, Transcript) and e.is_final]
    assert interims
    assert all("I need to book a table for two.".startswith(i.text) for i in interims)
    assert len(finals) == 1
    final = finals[0]
    assert final.speech_final
    assert final.text == "I need to book a table for two."
    assert [w.punctuated for w in final.words] == ["I", "need", "to", "book", "a", "table", "for", "two."]
    assert final.words[0].start_s == pytest.approx(0.2, abs=0.05)
    assert final.words[-1].end_s == pytest.approx(1.4, abs=0.05)
    assert isinstance(events[-1], UtteranceEnd)
    assert events[-1].last_word_end_s == pytest.approx(final.words[-1].end_s)
    assert events.index(final) < len(events) - 1


async def test_the_stream_asks_for_mulaw_8k_nova3_with_endpointing_vad_events_and_keyterms(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given an adapter configured with keyterms from the assistant
    stt = adapter(deepgram_sdk, keyterms=["Switchboard", "table booking"])

    # when it connects and closes
    await stt.connect()
    await stt.aclose()
    await deepgram_fake.wait_for(lambda: deepgram_fake.last_session.closed)

    # then the fake saw the query parameters, the token auth and a CloseStream
    session = deepgram_fake.last_session
    assert session.authorization == "Token test-deepgram-key"
    assert session.param("model") == "nova-3"
    assert session.param("encoding") == "mulaw"
    assert session.param("sample_rate") == "8000"
    assert session.param("channels") == "1"
    assert session.param("endpointing") == "300"
    assert session.param("utterance_end_ms") == "1000"
    assert session.param("interim_results") == "true"
    assert session.param("vad_events") == "true"
    assert session.query["keyterm"] == ["Switchboard", "table booking"]
    assert session.close_stream


async def test_mulaw_is_sent_unchanged(deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient) -> None:
    # given a connected stream
    stt = adapter(deepgram_sdk)
    await stt.connect()
    audio = utterance_audio(tail_s=0.1)

    # when caller audio is forwarded
    await send(stt, audio)
    await deepgram_fake.wait_for(lambda: deepgram_fake.last_session.audio_bytes >= len(audio))
    await stt.aclose()

    # then exactly those bytes arrived, one message per frame (no resampling, no re-framing)
    assert deepgram_fake.last_session.audio_bytes == len(audio)
    assert deepgram_fake.last_session.audio_messages == len(frames(audio))


async def test_keepalive_is_sent_while_no_audio_flows(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given a stream with a short keep-alive interval
    stt = adapter(deepgram_sdk, keepalive_interval_s=0.02, keepalive_idle_s=0.05)
    await stt.connect()
    try:
        # when one frame is sent and then the caller is silent (no audio at all)
        await stt.send_audio(silence(0.02))
        # then KeepAlive messages reach Deepgram
        await deepgram_fake.wait_for(lambda: deepgram_fake.last_session.keepalives >= 2)
    finally:
        await stt.aclose()
    assert deepgram_fake.last_session.audio_bytes == 160


async def test_each_finalized_utterance_takes_the_next_scripted_transcript(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given a stream and a two-line script
    stt = adapter(deepgram_sdk)
    await stt.connect()
    try:
        # when two utterances are spoken
        collecting = asyncio.create_task(
            collect(stt.events(), lambda e: isinstance(e, Transcript) and e.text == "Tomorrow at seven.")
        )
        await send(stt, utterance_audio(seed=1) + utterance_audio(speech_s=0.8, seed=2))
        events = await collecting
    finally:
        await stt.aclose()

    # then the finals follow the script in order
    finals = [e.text for e in events if isinstance(e, Transcript) and e.speech_final]
    assert finals == ["I need to book a table for two.", "Tomorrow at seven."]


async def test_finalize_flushes_the_current_utterance(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given speech in progress with no trailing silence yet
    stt = adapter(deepgram_sdk)
    await stt.connect()
    try:
        collecting = asyncio.create_task(collect(stt.events(), lambda e: isinstance(e, Transcript) and e.is_final))
        await send(stt, silence(0.1) + speech_like_mulaw(0.6))
        # when the runtime asks for a final
        await stt.finalize()
        events = await collecting
    finally:
        await stt.aclose()

    # then a final marked from_finalize carries the scripted words
    final = events[-1]
    assert isinstance(final, Transcript)
    assert final.from_finalize
    assert final.text == "I need to book a table for two."


async def test_a_wrong_key_fails_without_retrying(
    deepgram_fake: FakeDeepgram, deepgram_sdk_wrong_key: AsyncDeepgramClient, fast_retry: RetryPolicy
) -> None:
    # given an adapter with a bad key
    stt = DeepgramSpeechToText(deepgram_sdk_wrong_key, retry=fast_retry)

    # when it connects, then a non-retryable ProviderError names the provider and hides the key
    with pytest.raises(ProviderError) as caught:
        await stt.connect()
    assert caught.value.provider == "deepgram"
    assert not caught.value.retryable
    assert "wrong-key" not in str(caught.value)
    assert deepgram_fake.rejected == [401]


async def test_a_refused_handshake_is_retried_by_the_policy(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient, fast_retry: RetryPolicy
) -> None:
    # given Deepgram refuses the next two handshakes with 503
    deepgram_fake.faults.reject_status = 503
    deepgram_fake.faults.reject_times = 2
    stt = adapter(deepgram_sdk, retry=fast_retry)

    # when the adapter connects
    await stt.connect()
    await stt.aclose()

    # then the third attempt got through
    assert deepgram_fake.rejected == [503, 503]
    assert len(deepgram_fake.sessions) == 1


async def test_a_socket_dropped_mid_utterance_surfaces_as_a_retryable_error(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given the fake will cut the connection when the caller starts speaking
    deepgram_fake.faults.drop_at_next_utterance = True
    stt = adapter(deepgram_sdk)
    await stt.connect()
    try:
        # when speech is streamed, then events() raises a retryable ProviderError
        collecting = asyncio.create_task(collect(stt.events(), lambda e: False))
        with pytest.raises(ProviderError) as caught:
            await send(stt, utterance_audio())
            await collecting
        assert caught.value.retryable
        assert deepgram_fake.last_session.dropped
    finally:
        collecting.cancel()
        await stt.aclose()


async def test_a_deepgram_error_message_raises_provider_error(
    deepgram_fake: FakeDeepgram, deepgram_sdk: AsyncDeepgramClient
) -> None:
    # given the fake will answer the next utterance with an Error message
    deepgram_fake.faults.error_at_next_utterance = "DATA-0000 bad audio"
    stt = adapter(deepgram_sdk)
    await stt.connect()
    try:
        collecting = asyncio.create_task(collect(stt.events(), lambda e: False))
        with contextlib.suppress(ProviderError):  # sending may fail once the fake has closed
            await send(stt, utterance_audio())
        # when the events are read, then the error surfaces typed
        with pytest.raises(ProviderError) as caught:
            await collecting
        assert caught.value.provider == "deepgram"
        assert "DATA-0000" in str(caught.value)
    finally:
        await stt.aclose()
