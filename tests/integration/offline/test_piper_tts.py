"""PiperTextToSpeech on the real Piper voice: streamed text in, mu-law 8 kHz out, cancel."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from media_worker.providers import TextToSpeech, TtsUtterance
from media_worker.providers.offline import PiperEngine, PiperTextToSpeech
from media_worker.providers.offline.audio import mulaw_to_pcm16
from switchboard.errors import ProviderError

from .speech import speak

pytestmark = pytest.mark.offline_models


def rms(mulaw: bytes) -> float:
    return float(np.sqrt(np.mean(mulaw_to_pcm16(mulaw).astype(np.float64) ** 2)))


async def test_streamed_text_becomes_audible_phone_audio(piper_engine: PiperEngine) -> None:
    # given text pushed in fragments, as an LLM streams it
    fragments = ("Thanks for ", "calling. I can ", "open a ticket ", "for you right away.")
    # when spoken
    audio = await speak(piper_engine, *fragments)
    # then it is mu-law 8 kHz speech of a plausible length (about 2-6 s for 11 words), not silence
    assert 2 * 8000 <= len(audio) <= 6 * 8000
    assert rms(audio) > 1000


async def test_deterministic_engine_speaks_the_same_text_identically(piper_engine: PiperEngine) -> None:
    first = await speak(piper_engine, "Your ticket number is one two three.")
    second = await speak(piper_engine, "Your ticket ", "number is one two three.")
    assert first == second


async def test_audio_starts_before_the_text_is_finished(piper_engine: PiperEngine) -> None:
    # given an utterance whose first sentence is complete but which is not finished
    tts = PiperTextToSpeech(piper_engine)
    await tts.connect()
    utterance = tts.start_utterance("u1")
    await utterance.push("Hello there. And then")
    # when audio is read
    async with asyncio.timeout(60):
        first_chunk = await anext(aiter(utterance.audio()))
    # then the first clause is already speaking, in chunks of at most 100 ms
    assert 0 < len(first_chunk) <= 800
    await utterance.cancel()
    await tts.aclose()


async def test_cancel_ends_audio_promptly_and_drops_the_rest(piper_engine: PiperEngine) -> None:
    # given a long utterance that has started speaking
    tts = PiperTextToSpeech(piper_engine)
    await tts.connect()
    utterance = tts.start_utterance("u1")
    for sentence in ["This is the first sentence."] + ["Here is a lot more to say."] * 10:
        await utterance.push(sentence + " ")
    await utterance.finish()
    audio = aiter(utterance.audio())
    async with asyncio.timeout(60):
        first = await anext(audio)
    # when it is cancelled (barge-in)
    await utterance.cancel()
    rest = [chunk async for chunk in audio]
    # then audio ends with far less than the whole text (11 sentences, about 20 s)
    assert len(first) + sum(map(len, rest)) < 10 * 8000
    # and pushes after the cancel are ignored
    await utterance.push("More text.")
    await tts.aclose()


async def test_aclose_fails_live_utterances_and_new_ones_need_connect(piper_engine: PiperEngine) -> None:
    tts = PiperTextToSpeech(piper_engine)
    assert isinstance(tts, TextToSpeech)
    with pytest.raises(ProviderError):
        tts.start_utterance("early")
    await tts.connect()
    utterance = tts.start_utterance("u1")
    assert isinstance(utterance, TtsUtterance)
    await utterance.push("Hello")
    await tts.aclose()
    with pytest.raises(ProviderError) as raised:
        async with asyncio.timeout(30):
            _ = [chunk async for chunk in utterance.audio()]
    assert raised.value.provider == "piper_local"
