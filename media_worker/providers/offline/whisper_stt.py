"""``WhisperSpeechToText``: offline STT with Deepgram's event shape, from mu-law 8 kHz audio.

Whisper does not stream, so this is a streaming facade: Silero VAD segments the caller's audio
as it arrives; each closed segment (``endpointing_ms`` of silence, or ``finalize()``) is
transcribed by faster-whisper (tiny.en, int8) and reported as one final Transcript with
``speech_final=True`` and word timings. There are no interim results. ``SpeechStarted`` is sent
as soon as the VAD hears speech (use it for barge-in); ``UtteranceEnd`` after
``utterance_end_ms`` of silence following the last transcribed words.

All model work runs on worker threads (``WhisperEngine``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import string
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from media_worker.providers.base import SpeechStarted, SttEvent, Transcript, UtteranceEnd, Word
from media_worker.providers.offline import deps
from media_worker.providers.offline.audio import (
    PHONE_RATE,
    WHISPER_RATE,
    Float32Array,
    mulaw_to_pcm16,
    pcm16_to_float,
    resample,
)
from media_worker.providers.offline.threads import ModelWorker
from media_worker.providers.offline.vad import (
    SegmentClosed,
    SegmenterConfig,
    SegmenterEvent,
    SegmentStarted,
    SileroVad,
    SpeechSegmenter,
    UtteranceEnded,
)
from switchboard.errors import ProviderError

PROVIDER = "whisper_local"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    language: str = "en"
    beam_size: int = 5
    word_timestamps: bool = True
    no_speech_threshold: float = 0.6
    """A segment Whisper rates as no-speech above this, with low confidence, is dropped (noise)."""
    log_prob_threshold: float = -1.0


class WhisperEngine:
    """Whisper and Silero, loaded once per process and shared by every call (like an SDK client).

    ``load()`` blocks (about a second): call it before serving, or in a thread.
    """

    def __init__(self, model: Any, vad: SileroVad, options: WhisperOptions | None = None) -> None:
        self._model = model
        self.vad = vad
        self.options = options or WhisperOptions()
        self._asr = ModelWorker("whisper")
        self._vad = ModelWorker("silero")

    @classmethod
    def load(
        cls,
        *,
        model_dir: Path | None = None,
        vad_path: Path | None = None,
        cpu_threads: int = 2,
        options: WhisperOptions | None = None,
    ) -> WhisperEngine:
        deps.require(deps.SPEECH_MODULES, PROVIDER)
        from faster_whisper import WhisperModel

        model = WhisperModel(
            str(model_dir or deps.whisper_model_dir()), device="cpu", compute_type="int8", cpu_threads=cpu_threads
        )
        engine = cls(model, SileroVad(vad_path or deps.silero_model_path()), options)
        engine.transcribe(np.zeros(PHONE_RATE // 2, dtype=np.float32), 0)  # warm-up: the first run is slow
        return engine

    async def in_vad_thread(self, fn: Callable[[], T]) -> T:
        return await self._vad.run(fn)

    async def in_asr_thread(self, fn: Callable[[], T]) -> T:
        return await self._asr.run(fn)

    def transcribe(self, audio_8k: Float32Array, audio_start: int) -> tuple[str, tuple[Word, ...], float]:
        """Blocking. (text, words in stream time, confidence) of one segment of 8 kHz audio."""
        opts = self.options
        audio = resample(audio_8k, PHONE_RATE, WHISPER_RATE)
        segments, _info = self._model.transcribe(
            audio,
            language=opts.language,
            beam_size=opts.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            word_timestamps=opts.word_timestamps,
            vad_filter=False,
        )
        offset = audio_start / PHONE_RATE
        texts: list[str] = []
        words: list[Word] = []
        log_probs: list[float] = []
        # Without timestamps Whisper writes a whole (< 30 s) window as one segment. With word
        # timestamps faster-whisper then seeks to the last word and decodes the trailing silence
        # again, which is where "Thank you." hallucinations come from: take the first segment only.
        for segment in itertools.islice(segments, 1):
            if segment.no_speech_prob > opts.no_speech_threshold and segment.avg_logprob < opts.log_prob_threshold:
                continue
            texts.append(segment.text.strip())
            log_probs.append(segment.avg_logprob)
            for w in segment.words or ():
                punctuated = w.word.strip()
                plain = punctuated.strip(string.punctuation).lower()
                if plain:
                    words.append(
                        Word(plain, offset + float(w.start), offset + float(w.end), float(w.probability), punctuated)
                    )
        confidence = math.exp(sum(log_probs) / len(log_probs)) if log_probs else 0.0
        return " ".join(t for t in texts if t), tuple(words), confidence

    def close(self) -> None:
        self._asr.shutdown()
        self._vad.shutdown()


class _Finalize:
    pass


_FINALIZE = _Finalize()
_CLOSED = object()


class WhisperSpeechToText:
    """One stream per call: ``connect()``, then ``send_audio`` (any frame size) while iterating
    ``events()``; ``aclose()`` at the end. Same contract as ``DeepgramSpeechToText``."""

    def __init__(
        self,
        engine: WhisperEngine,
        *,
        endpointing_ms: int = 500,
        utterance_end_ms: int | None = 1000,
        segmenter: SegmenterConfig | None = None,
    ) -> None:
        self._engine = engine
        config = segmenter or SegmenterConfig()
        self._config = SegmenterConfig(
            **{
                **{f: getattr(config, f) for f in config.__dataclass_fields__},
                "endpointing_ms": float(endpointing_ms),
                "utterance_end_ms": float(utterance_end_ms) if utterance_end_ms is not None else math.inf,
            }
        )
        self._segmenter: SpeechSegmenter | None = None
        self._inbox: asyncio.Queue[Float32Array | _Finalize] = asyncio.Queue()
        self._asr_queue: asyncio.Queue[SegmenterEvent | _Finalize] = asyncio.Queue()
        self._outbox: asyncio.Queue[object] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._failed: ProviderError | None = None
        self._words_since_utterance_end = False
        self._last_word_end = 0.0

    @property
    def connected(self) -> bool:
        return self._segmenter is not None and not self._closing

    async def connect(self) -> None:
        if self._segmenter is not None:
            return
        self._segmenter = SpeechSegmenter(self._engine.vad.stream(), self._config)
        self._tasks = [
            asyncio.create_task(self._vad_task(self._segmenter), name="whisper-vad"),
            asyncio.create_task(self._asr_task(), name="whisper-asr"),
        ]

    async def send_audio(self, mulaw: bytes) -> None:
        self._require_connected()
        if mulaw:
            self._inbox.put_nowait(pcm16_to_float(mulaw_to_pcm16(mulaw)))

    async def finalize(self) -> None:
        self._require_connected()
        self._inbox.put_nowait(_FINALIZE)

    async def events(self) -> AsyncIterator[SttEvent]:
        if self._segmenter is None:
            raise ProviderError(PROVIDER, "stream is not connected", retryable=True)
        while True:
            item = await self._outbox.get()
            if item is _CLOSED:
                return
            if isinstance(item, ProviderError):
                raise item
            yield item  # type: ignore[misc]

    async def aclose(self) -> None:
        if self._closing:
            return
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._outbox.put_nowait(_CLOSED)

    def _require_connected(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._segmenter is None or self._closing:
            raise ProviderError(PROVIDER, "stream is not connected", retryable=True)

    async def _vad_task(self, segmenter: SpeechSegmenter) -> None:
        try:
            while True:
                batch, finalize = await self._next_batch()
                events: list[SegmenterEvent] = []
                flushed: list[SegmenterEvent] = []
                if batch:
                    audio = np.concatenate(batch)
                    events = await self._engine.in_vad_thread(partial(segmenter.feed, audio))
                if finalize:
                    flushed = segmenter.flush()
                    events.extend(flushed)
                for event in events:
                    if isinstance(event, SegmentStarted):
                        self._outbox.put_nowait(SpeechStarted(event.start / PHONE_RATE))
                    else:
                        self._asr_queue.put_nowait(event)
                if finalize and not flushed:
                    self._asr_queue.put_nowait(_FINALIZE)  # nothing pending: answer with an empty final
        except Exception as exc:  # a model failure ends the stream with a typed error
            self._fail(exc)

    async def _next_batch(self) -> tuple[list[Float32Array], bool]:
        """All audio queued so far (waiting for some), up to and including a finalize request."""
        batch: list[Float32Array] = []
        item = await self._inbox.get()
        while True:
            if isinstance(item, _Finalize):
                return batch, True
            batch.append(item)
            if self._inbox.empty():
                return batch, False
            item = self._inbox.get_nowait()

    async def _asr_task(self) -> None:
        try:
            while True:
                item = await self._asr_queue.get()
                if isinstance(item, SegmentClosed):
                    self._outbox.put_nowait(await self._transcribe(item))
                elif isinstance(item, UtteranceEnded):
                    if self._words_since_utterance_end:
                        self._words_since_utterance_end = False
                        self._outbox.put_nowait(UtteranceEnd(self._last_word_end))
                elif isinstance(item, _Finalize):
                    self._outbox.put_nowait(self._empty_final())
        except Exception as exc:
            self._fail(exc)

    async def _transcribe(self, segment: SegmentClosed) -> Transcript:
        text, words, confidence = await self._engine.in_asr_thread(
            lambda: self._engine.transcribe(segment.audio, segment.audio_start)
        )
        if words:
            self._words_since_utterance_end = True
            self._last_word_end = words[-1].end_s
        return Transcript(
            text=text,
            is_final=True,
            speech_final=True,
            words=words,
            start_s=segment.start / PHONE_RATE,
            duration_s=(segment.end - segment.start) / PHONE_RATE,
            from_finalize=segment.finalized,
            confidence=confidence,
        )

    def _empty_final(self) -> Transcript:
        """The answer to a Finalize when no speech was pending (Deepgram sends one too)."""
        now = self._segmenter.received / PHONE_RATE if self._segmenter is not None else 0.0
        return Transcript("", True, True, (), now, 0.0, from_finalize=True)

    def _fail(self, exc: Exception) -> None:
        """End the stream: ``events()`` raises the error, later sends raise it too."""
        if self._failed is not None:
            return
        error = exc if isinstance(exc, ProviderError) else ProviderError(PROVIDER, type(exc).__name__, retryable=True)
        self._failed = error
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._outbox.put_nowait(error)
