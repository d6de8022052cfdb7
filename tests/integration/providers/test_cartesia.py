"""CartesiaTextToSpeech (real cartesia SDK) against FakeCartesia over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from cartesia import AsyncCartesia

from fakes import FakeCartesia
from fakes.audio import frame_rms
from media_worker.providers import CartesiaTextToSpeech, RetryPolicy, TtsUtterance, cartesia_client
from media_worker.providers.cartesia import OUTPUT_FORMAT
from switchboard.errors import ProviderError

VOICE = "a0e99841-438c-4a64-b679-ae501e7d6091"


def tts(client: AsyncCartesia, retry: RetryPolicy | None = None) -> CartesiaTextToSpeech:
    return CartesiaTextToSpeech(client, voice_id=VOICE, model_id="sonic-3", language="en", retry=retry)


async def speak(utterance: TtsUtterance, *texts: str) -> bytes:
    for text in texts:
        await utterance.push(text)
    await utterance.finish()
    async with asyncio.timeout(3):
        return b"".join([chunk async for chunk in utterance.audio()])


@pytest.fixture
async def paced_fake() -> AsyncIterator[FakeCartesia]:
    """Real-time pacing, so there is time to cancel mid-utterance."""
    async with FakeCartesia(chunk_ms=20, realtime_factor=1.0) as fake:
        yield fake


@pytest.fixture
def paced_sdk(paced_fake: FakeCartesia) -> AsyncCartesia:
    return cartesia_client("test-cartesia-key", base_url=paced_fake.http_url, ws_url=paced_fake.ws_url)


async def test_one_connection_speaks_two_sequential_turns_as_audible_mulaw(
    cartesia_fake: FakeCartesia, cartesia_sdk: AsyncCartesia
) -> None:
    # given a connected TTS
    speech = tts(cartesia_sdk)
    await speech.connect()
    try:
        # when two turns are spoken one after the other
        first = await speak(speech.start_utterance("turn-1"), "Hello! ", "How can I help?")
        second = await speak(speech.start_utterance("turn-2"), "Your table is booked.")
    finally:
        await speech.aclose()

    # then both went over one connection, each as its own context, in mu-law 8 kHz
    assert len(cartesia_fake.connections) == 1
    assert [c.context_id for c in cartesia_fake.contexts] == ["turn-1", "turn-2"]
    assert all(c.output_format == OUTPUT_FORMAT for c in cartesia_fake.contexts)
    # and the bytes are exactly the fake's mu-law speech for each text (no transcoding on the way)
    assert first == cartesia_fake.audio_for("Hello! ", OUTPUT_FORMAT) + cartesia_fake.audio_for(
        "How can I help?", OUTPUT_FORMAT
    )
    assert second == cartesia_fake.audio_for("Your table is booked.", OUTPUT_FORMAT)
    # and every 20 ms frame of it is clearly audible
    assert frame_rms(first).min() > 1000
    assert frame_rms(second).min() > 1000


async def test_text_is_pushed_as_it_streams_with_voice_model_language_and_auth(
    cartesia_fake: FakeCartesia, cartesia_sdk: AsyncCartesia
) -> None:
    # given a connected TTS
    speech = tts(cartesia_sdk)
    await speech.connect()
    try:
        # when a turn's text arrives in two pieces
        await speak(speech.start_utterance("turn-1"), "Sure, ", "booking now.")
    finally:
        await speech.aclose()

    # then the fake saw both pieces in order, the context settings and the key
    connection = cartesia_fake.connections[0]
    assert connection.authorization == "Bearer test-cartesia-key"
    assert connection.cartesia_version
    context = cartesia_fake.context("turn-1")
    assert context.transcripts == ["Sure, ", "booking now."]
    assert context.input_done and context.done_sent
    assert context.model_id == "sonic-3"
    assert context.voice == {"mode": "id", "id": VOICE}
    assert context.language == "en"


async def test_cancel_stops_the_audio(paced_fake: FakeCartesia, paced_sdk: AsyncCartesia) -> None:
    # given a long turn being spoken at real-time pace
    speech = tts(paced_sdk)
    await speech.connect()
    try:
        utterance = speech.start_utterance("turn-1")
        text = "This is a rather long answer that the caller is about to interrupt."
        await utterance.push(text)
        await utterance.finish()
        received = b""
        async with asyncio.timeout(3):
            async for chunk in utterance.audio():
                received += chunk
                # when the caller barges in after the first chunk
                await utterance.cancel()
        # then the audio ended early and the fake got the cancel and stopped generating
        await paced_fake.wait_for(lambda: bool(paced_fake.connections[0].cancels))
    finally:
        await speech.aclose()
    assert 0 < len(received) < len(paced_fake.audio_for(text, OUTPUT_FORMAT))
    assert paced_fake.connections[0].cancels == ["turn-1"]
    assert paced_fake.context("turn-1").cancelled
    assert not paced_fake.context("turn-1").done_sent


async def test_a_context_error_raises_provider_error(cartesia_fake: FakeCartesia, cartesia_sdk: AsyncCartesia) -> None:
    # given Cartesia will fail the next context
    cartesia_fake.faults.error_next_context = "voice not available"
    speech = tts(cartesia_sdk)
    await speech.connect()
    try:
        # when a turn is spoken, then its audio raises a typed error
        with pytest.raises(ProviderError) as caught:
            await speak(speech.start_utterance("turn-1"), "Hello.")
        # and the connection still serves the next turn
        audio = await speak(speech.start_utterance("turn-2"), "Hello again.")
    finally:
        await speech.aclose()
    assert caught.value.provider == "cartesia"
    assert "voice not available" in str(caught.value)
    assert audio == cartesia_fake.audio_for("Hello again.", OUTPUT_FORMAT)


async def test_a_dropped_connection_fails_the_live_turn_as_retryable(
    cartesia_fake: FakeCartesia, cartesia_sdk: AsyncCartesia
) -> None:
    # given the connection will be cut after the first audio chunk
    cartesia_fake.faults.drop_after_chunks = 1
    speech = tts(cartesia_sdk)
    await speech.connect()
    try:
        # when a long turn is spoken, then it fails retryably instead of hanging
        with pytest.raises(ProviderError) as caught:
            await speak(speech.start_utterance("turn-1"), "A sentence long enough for several chunks of audio.")
        # and the adapter knows it must reconnect
        assert not speech.connected
    finally:
        await speech.aclose()
    assert caught.value.retryable
    assert cartesia_fake.connections[0].dropped


async def test_a_wrong_key_is_refused_without_retrying(
    cartesia_fake: FakeCartesia, cartesia_sdk_wrong_key: AsyncCartesia, fast_retry: RetryPolicy
) -> None:
    # given a bad key, when connecting, then a non-retryable error and a single attempt
    with pytest.raises(ProviderError) as caught:
        await tts(cartesia_sdk_wrong_key, fast_retry).connect()
    assert not caught.value.retryable
    assert "wrong-key" not in str(caught.value)
    assert cartesia_fake.rejected == [401]


async def test_a_refused_handshake_is_retried_by_the_policy(
    cartesia_fake: FakeCartesia, cartesia_sdk: AsyncCartesia, fast_retry: RetryPolicy
) -> None:
    # given Cartesia refuses the next handshake with 502
    cartesia_fake.faults.reject_status = 502
    cartesia_fake.faults.reject_times = 1
    speech = tts(cartesia_sdk, fast_retry)

    # when the adapter connects, then the second attempt gets through
    await speech.connect()
    await speech.aclose()
    assert cartesia_fake.rejected == [502]
    assert len(cartesia_fake.connections) == 1
