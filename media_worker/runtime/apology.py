"""The clip played when the TTS itself is down (``PlayFallbackApology``).

No TTS means nothing can speak the apology at that moment, so it must exist beforehand.
The honest choice made here, per worker process:

- at start-up a short, clearly audible two-tone chime (mu-law 8 kHz, ~0.6 s) is generated;
  it is real audio, not words, and tells the caller the line is alive;
- the first call of each voice also renders the assistant's apology phrase through its TTS in
  the background (one small context, cached per voice/model/language/text for the life of the
  worker); once cached, later TTS outages in calls with that voice play the spoken apology.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np

from media_worker.providers import TextToSpeech
from switchboard.errors import ProviderError

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
RENDER_TIMEOUT_S = 10.0
ClipKey = tuple[str, str, str, str]
"""(voice id, model, language, text)"""


def mulaw_encode(samples: np.ndarray) -> bytes:
    """int16-range float samples -> G.711 mu-law bytes."""
    x = np.clip(samples, -32635, 32635).astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.abs(x) + 0x84
    exponent = np.floor(np.log2(magnitude >> 7)).astype(np.int32)
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    codes: np.ndarray = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return codes.tobytes()


def chime(duration_s: float = 0.6, amplitude: float = 6000.0) -> bytes:
    """Two soft tones (660 Hz then 440 Hz) with short fades: the no-TTS fallback clip."""
    half = int(duration_s * SAMPLE_RATE / 2)
    t = np.arange(half) / SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    tones = [amplitude * fade * np.sin(2 * np.pi * f * t) for f in (660.0, 440.0)]
    return mulaw_encode(np.concatenate(tones))


class ApologyClips:
    def __init__(self) -> None:
        self.tone = chime()
        self._spoken: dict[ClipKey, bytes] = {}
        self._rendering: set[ClipKey] = set()

    def clip(self, key: ClipKey) -> bytes:
        """The spoken apology for this voice if rendered already, else the chime."""
        return self._spoken.get(key, self.tone)

    def has_spoken(self, key: ClipKey) -> bool:
        return key in self._spoken

    def needs_render(self, key: ClipKey) -> bool:
        return key not in self._spoken and key not in self._rendering

    async def render(self, tts: TextToSpeech, key: ClipKey, utterance_id: str) -> None:
        """Render the phrase through a connected TTS and cache it; failures leave the chime in place."""
        if not self.needs_render(key):
            return
        self._rendering.add(key)
        try:
            utterance = tts.start_utterance(utterance_id)
            await utterance.push(key[3])
            await utterance.finish()
            async with asyncio.timeout(RENDER_TIMEOUT_S):
                audio = b"".join([chunk async for chunk in utterance.audio()])
            if audio:
                self._spoken[key] = audio
        except (ProviderError, TimeoutError) as error:
            log.info("apology pre-render failed; the chime stays the fallback", extra={"error": type(error).__name__})
        finally:
            self._rendering.discard(key)

    async def render_task(self, tts: TextToSpeech, key: ClipKey, utterance_id: str) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.render(tts, key, utterance_id)
