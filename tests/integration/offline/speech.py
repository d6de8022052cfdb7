"""Helpers for the offline speech tests: speak with Piper, feed a stream in 20 ms frames, WER."""

from __future__ import annotations

import asyncio
import re

from media_worker.providers.offline import PiperEngine, PiperTextToSpeech, WhisperSpeechToText

SILENCE = b"\xff"  # mu-law zero
FRAME_BYTES = 160  # 20 ms at 8 kHz


async def speak(engine: PiperEngine, *texts: str) -> bytes:
    """mu-law 8 kHz audio of ``texts`` pushed as streamed fragments through PiperTextToSpeech."""
    tts = PiperTextToSpeech(engine)
    await tts.connect()
    utterance = tts.start_utterance("u1")
    for text in texts:
        await utterance.push(text)
    await utterance.finish()
    audio = b"".join([chunk async for chunk in utterance.audio()])
    await tts.aclose()
    return audio


async def feed(stt: WhisperSpeechToText, audio: bytes) -> None:
    """Send ``audio`` in 20 ms frames as the runtime does (faster than real time)."""
    for i in range(0, len(audio), FRAME_BYTES):
        await stt.send_audio(audio[i : i + FRAME_BYTES])
        await asyncio.sleep(0)


def silence(seconds: float) -> bytes:
    return SILENCE * int(8000 * seconds)


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance / reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))
