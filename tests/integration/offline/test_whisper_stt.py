"""WhisperSpeechToText on real models: Piper speaks, Silero segments, Whisper transcribes back."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from media_worker.providers import SpeechStarted, SpeechToText, SttEvent, Transcript, UtteranceEnd
from media_worker.providers.offline import PiperEngine, WhisperEngine, WhisperSpeechToText
from media_worker.providers.offline.audio import float_to_pcm16, pcm16_to_mulaw
from switchboard.errors import ProviderError

from .speech import feed, silence, speak, word_error_rate

pytestmark = pytest.mark.offline_models

SENTENCES = (
    "Hello, I would like to open a support ticket please.",
    "My printer stopped working this morning.",
    "The screen on my laptop keeps flickering.",
    "Can you call me back tomorrow afternoon?",
)


async def collect(stt: WhisperSpeechToText, *, utterance_ends: int) -> list[SttEvent]:
    events: list[SttEvent] = []
    async with asyncio.timeout(180):  # a hang guard, not a timing assertion
        async for event in stt.events():
            events.append(event)
            if sum(isinstance(e, UtteranceEnd) for e in events) == utterance_ends:
                return events
    return events


async def test_spoken_sentences_come_back_as_final_transcripts_with_words(
    whisper_engine: WhisperEngine, piper_engine: PiperEngine
) -> None:
    # given four sentences spoken by Piper, 1.5 s apart, on one STT stream
    audio = silence(0.5)
    for sentence in SENTENCES:
        audio += await speak(piper_engine, sentence) + silence(1.5)
    stt = WhisperSpeechToText(whisper_engine, endpointing_ms=500, utterance_end_ms=1000)
    await stt.connect()
    # when the audio is sent in 20 ms frames
    feeder = asyncio.create_task(feed(stt, audio))
    events = await collect(stt, utterance_ends=len(SENTENCES))
    await feeder
    await stt.aclose()
    # then each sentence gives SpeechStarted, one final Transcript, then UtteranceEnd (the next
    # SpeechStarted may come before a transcript: audio arrives faster than real time here)
    kinds = [type(e) for e in events]
    assert kinds.count(SpeechStarted) == kinds.count(Transcript) == kinds.count(UtteranceEnd) == len(SENTENCES)
    assert [k for k in kinds if k is not SpeechStarted] == [Transcript, UtteranceEnd] * len(SENTENCES)
    transcripts = [e for e in events if isinstance(e, Transcript)]
    assert all(t.is_final and t.speech_final and not t.from_finalize for t in transcripts)
    # and the words are there: word error rate at most 20 % per sentence, 10 % overall
    rates = [word_error_rate(s, t.text) for s, t in zip(SENTENCES, transcripts, strict=True)]
    assert max(rates) <= 0.2, list(zip(SENTENCES, [t.text for t in transcripts], strict=True))
    assert sum(rates) / len(rates) <= 0.1
    # and word timings are in stream time, ordered, inside the speech that produced them
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    for started, transcript in zip(starts, transcripts, strict=True):
        assert transcript.words
        word_starts = [w.start_s for w in transcript.words]
        assert word_starts == sorted(word_starts)
        assert started.timestamp_s - 0.3 <= word_starts[0]
        assert transcript.words[-1].end_s <= transcript.start_s + transcript.duration_s + 0.3
    # and each UtteranceEnd names the end of the last word before it
    ends = [e for e in events if isinstance(e, UtteranceEnd)]
    for transcript, end in zip(transcripts, ends, strict=True):
        assert end.last_word_end_s == transcript.words[-1].end_s


async def test_finalize_mid_speech_transcribes_what_was_heard(
    whisper_engine: WhisperEngine, piper_engine: PiperEngine
) -> None:
    # given a sentence with no trailing silence (the caller is still talking)
    audio = silence(0.3) + await speak(piper_engine, "Please open a ticket for my broken monitor.")
    stt = WhisperSpeechToText(whisper_engine)
    await stt.connect()
    await feed(stt, audio)
    # when the runtime asks for a final transcript
    await stt.finalize()
    events: list[SttEvent] = []
    async with asyncio.timeout(120):
        async for event in stt.events():
            events.append(event)
            if isinstance(event, Transcript):
                break
    await stt.aclose()
    # then the words so far arrive as a final marked from_finalize
    assert isinstance(events[0], SpeechStarted)
    final = events[-1]
    assert isinstance(final, Transcript) and final.from_finalize and final.speech_final
    assert word_error_rate("Please open a ticket for my broken monitor.", final.text) <= 0.25


async def test_finalize_with_nothing_heard_answers_with_an_empty_final(whisper_engine: WhisperEngine) -> None:
    stt = WhisperSpeechToText(whisper_engine)
    await stt.connect()
    await feed(stt, silence(1.0))
    await stt.finalize()
    async with asyncio.timeout(60):
        event = await anext(aiter(stt.events()))
    await stt.aclose()
    assert isinstance(event, Transcript)
    assert (event.text, event.words, event.from_finalize, event.is_final) == ("", (), True, True)


async def test_silence_and_noise_produce_no_events(whisper_engine: WhisperEngine) -> None:
    # given 1 s of silence and 2 s of steady background noise (-30 dBFS), then a finalize
    noise = np.random.default_rng(7).normal(0, 0.03, 16000).astype(np.float32)
    stt = WhisperSpeechToText(whisper_engine)
    await stt.connect()
    await feed(stt, silence(1.0) + pcm16_to_mulaw(float_to_pcm16(noise)))
    await stt.finalize()
    async with asyncio.timeout(60):
        first = await anext(aiter(stt.events()))
    await stt.aclose()
    # then the first event is the finalize's empty answer: nothing was heard before it
    assert isinstance(first, Transcript) and first.from_finalize and not first.text


async def test_aclose_ends_events_and_later_sends_fail(whisper_engine: WhisperEngine) -> None:
    stt = WhisperSpeechToText(whisper_engine)
    assert isinstance(stt, SpeechToText)
    with pytest.raises(ProviderError):
        await stt.send_audio(silence(0.02))  # not connected yet
    await stt.connect()
    events = stt.events()
    await stt.aclose()
    assert [e async for e in events] == []
    with pytest.raises(ProviderError) as raised:
        await stt.send_audio(silence(0.02))
    assert raised.value.provider == "whisper_local"


class BrokenModel:
    """Stands in for the Whisper model: fails like a model that ran out of memory."""

    def transcribe(self, *args: object, **kwargs: object) -> object:
        raise MemoryError("simulated")


async def test_a_failing_model_ends_the_stream_with_a_provider_error(
    whisper_engine: WhisperEngine, piper_engine: PiperEngine
) -> None:
    # given an engine whose Whisper model fails (real Silero VAD in front of it)
    broken = WhisperEngine(BrokenModel(), whisper_engine.vad)
    stt = WhisperSpeechToText(broken)
    await stt.connect()
    # when speech arrives and its segment closes
    await feed(stt, silence(0.3) + await speak(piper_engine, "Hello there.") + silence(1.0))
    # then events() raises a retryable ProviderError after SpeechStarted
    seen: list[SttEvent] = []
    with pytest.raises(ProviderError) as raised:
        async with asyncio.timeout(60):
            async for event in stt.events():
                seen.append(event)
    assert [type(e) for e in seen] == [SpeechStarted]
    assert raised.value.provider == "whisper_local" and raised.value.retryable
    # and later audio is refused with the same error
    with pytest.raises(ProviderError):
        await stt.send_audio(silence(0.02))
    await stt.aclose()
    broken.close()
