"""``OpenAITextToSpeech``: OpenAI's streaming speech endpoint through the openai SDK, as the
secondary voice (a different vendor from Cartesia, on a key the worker already holds).

``client.audio.speech.with_streaming_response.create(model, voice, input, response_format="pcm")``
streams raw 24 kHz s16le mono; each chunk is low-pass filtered and decimated 3:1 to 8 kHz by
:class:`Downsampler` and mu-law encoded, so it goes to the carrier like Cartesia's audio.

Resampler choice: 24 kHz -> 8 kHz is an integer factor, so a streaming polyphase FIR in numpy
(63-tap Hamming-windowed sinc, cut-off 3.6 kHz, history carried across chunks) is exact enough
for phone audio, adds ~1.3 ms of delay and no buffering. soxr's streaming HQ/MQ/LQ modes buffer
60-120 ms, and its even-streaming QQ mode does not low-pass before decimating (see PROTOCOLS.md).

The endpoint is not incremental: every pushed clause is its own request, synthesised in order
by the utterance's ``synth_task``. Opening a request goes through the one retry policy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import numpy as np
import numpy.typing as npt
import openai
from openai import AsyncOpenAI

from media_worker.providers.base import AudioQueue, drain_audio
from media_worker.providers.offline.audio import pcm16_to_mulaw
from media_worker.providers.retry import RetryPolicy, retryable_status
from switchboard.errors import ProviderError

PROVIDER = "openai_tts"
SOURCE_RATE = 24_000
PHONE_RATE = 8_000
DEFAULT_MODEL = "gpt-4o-mini-tts"


def _low_pass(taps: int = 63, cutoff_hz: float = 3600.0, rate: int = SOURCE_RATE) -> npt.NDArray[np.float64]:
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff_hz / rate * n) * np.hamming(taps)
    return np.asarray(h / h.sum())


_FILTER = _low_pass()


class Downsampler:
    """Streaming 24 kHz -> 8 kHz (s16le bytes in, int16 samples out); keeps state between chunks."""

    factor = SOURCE_RATE // PHONE_RATE

    def __init__(self) -> None:
        self._history = np.zeros(len(_FILTER) - 1)
        self._phase = 0  # index, in the next filtered block, of the next sample to keep
        self._odd = b""  # a trailing half sample

    def feed(self, pcm: bytes) -> npt.NDArray[np.int16]:
        data = self._odd + pcm
        whole = len(data) // 2 * 2
        self._odd = data[whole:]
        samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float64)
        if samples.size == 0:
            return np.zeros(0, dtype=np.int16)
        extended = np.concatenate((self._history, samples))
        self._history = extended[-(len(_FILTER) - 1) :]
        filtered = np.convolve(extended, _FILTER, mode="valid")
        kept = filtered[self._phase :: self.factor]
        self._phase = (self._phase - len(filtered)) % self.factor
        return np.asarray(np.clip(np.round(kept), -32768, 32767), dtype=np.int16)

    def flush(self) -> npt.NDArray[np.int16]:
        """The filter's tail (half its length of zeros pushed through)."""
        tail = np.zeros(len(_FILTER) // 2, dtype="<i2").tobytes()
        return self.feed(tail)


def translate_error(exc: BaseException) -> ProviderError:
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return ProviderError(PROVIDER, f"HTTP {status} ({type(exc).__name__})", retryable=retryable_status(status))
    if isinstance(exc, openai.APIConnectionError | httpx2.HTTPError | OSError):
        return ProviderError(PROVIDER, f"connection failed ({type(exc).__name__})", retryable=True)
    return ProviderError(PROVIDER, type(exc).__name__, retryable=False)


class OpenAIUtterance:
    """Clauses are synthesised one request at a time, in order; ``audio()`` yields mu-law 8 kHz."""

    def __init__(self, utterance_id: str, owner: OpenAITextToSpeech) -> None:
        self.utterance_id = utterance_id
        self._owner = owner
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        self._out: AudioQueue = asyncio.Queue()
        self._input_done = False
        self._ended = False
        self._task = asyncio.create_task(self._synth_task(), name=f"openai-tts-synth-task-{utterance_id}")

    async def push(self, text: str) -> None:
        if self._ended or self._input_done or not text.strip():
            return
        self._texts.put_nowait(text)

    async def finish(self) -> None:
        if self._ended or self._input_done:
            return
        self._input_done = True
        self._texts.put_nowait(None)

    async def cancel(self) -> None:
        if self._ended:
            return
        self._end(None)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def audio(self) -> AsyncIterator[bytes]:
        return drain_audio(self._out)

    def fail(self, error: ProviderError) -> None:
        if not self._ended:
            self._end(error)
            self._task.cancel()

    def _end(self, final: ProviderError | None) -> None:
        self._ended = True
        self._out.put_nowait(final)
        self._owner.forget(self.utterance_id)

    async def _synth_task(self) -> None:
        try:
            while (text := await self._texts.get()) is not None:
                async for audio in self._owner.synthesize(text):
                    self._out.put_nowait(audio)
        except ProviderError as error:
            self._end(error)
            return
        if not self._ended:
            self._end(None)


class OpenAITextToSpeech:
    """``connect()`` is a no-op (HTTP on the worker's shared client); one utterance per assistant turn."""

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        voice: str,
        model: str = DEFAULT_MODEL,
        speed: float | None = None,
        instructions: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._voice = voice
        self._model = model
        self._speed = speed
        self._instructions = instructions
        self._retry = retry or RetryPolicy()
        self._active: dict[str, OpenAIUtterance] = {}

    async def connect(self) -> None:
        return None

    def start_utterance(self, utterance_id: str) -> OpenAIUtterance:
        utterance = OpenAIUtterance(utterance_id, self)
        self._active[utterance_id] = utterance
        return utterance

    def forget(self, utterance_id: str) -> None:
        self._active.pop(utterance_id, None)

    async def aclose(self) -> None:
        for utterance in list(self._active.values()):
            utterance.fail(ProviderError(PROVIDER, "closed", retryable=False))

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """One clause: mu-law 8 kHz chunks as the PCM streams in; raises ProviderError."""
        manager, response = await self._retry.run(lambda: self._open(text))
        resampler = Downsampler()
        try:
            async for chunk in response.iter_bytes():
                samples = resampler.feed(chunk)
                if samples.size:
                    yield pcm16_to_mulaw(samples)
            tail = resampler.flush()
            if tail.size:
                yield pcm16_to_mulaw(tail)
        except (openai.OpenAIError, httpx2.HTTPError, OSError) as exc:
            raise translate_error(exc) from None
        finally:
            with contextlib.suppress(openai.OpenAIError, httpx2.HTTPError, OSError):
                await manager.__aexit__(None, None, None)

    async def _open(self, text: str) -> tuple[Any, Any]:
        params: dict[str, Any] = {"model": self._model, "voice": self._voice, "input": text, "response_format": "pcm"}
        if self._speed is not None:
            params["speed"] = self._speed
        if self._instructions:
            params["instructions"] = self._instructions
        manager = self._client.audio.speech.with_streaming_response.create(**params)
        try:
            response = await manager.__aenter__()
        except (openai.OpenAIError, httpx2.HTTPError, OSError) as exc:
            raise translate_error(exc) from None
        return manager, response
