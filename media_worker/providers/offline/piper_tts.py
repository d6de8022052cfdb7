"""``PiperTextToSpeech``: offline TTS (Piper, en_US joe-medium) with Cartesia's contract.

Text is pushed as the LLM streams it; each complete clause is synthesized on the Piper worker
thread as soon as it is known, resampled 22050 -> 8000 Hz and encoded to mu-law, and streamed
in ``chunk_ms`` pieces. ``cancel()`` (barge-in) ends ``audio()`` at once; the sentence already on
the worker thread finishes there and is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from media_worker.providers.base import AudioQueue, drain_audio
from media_worker.providers.offline import deps
from media_worker.providers.offline.audio import PHONE_RATE, float_to_pcm16, pcm16_to_mulaw, resample
from media_worker.providers.offline.threads import ModelWorker
from switchboard.errors import ProviderError

PROVIDER = "piper_local"

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
_CLAUSE_END = re.compile(r"(?<=,)\s+")


class PiperEngine:
    """The Piper voice, loaded once per process and shared by every call. ``load()`` blocks."""

    def __init__(self, voice: Any, *, deterministic: bool = False, volume: float = 0.8, chunk_ms: int = 100) -> None:
        from piper import SynthesisConfig

        self._voice = voice
        self._config = SynthesisConfig(volume=volume)
        if deterministic:  # identical audio on every run (tests)
            self._config = SynthesisConfig(volume=volume, noise_scale=0.0, noise_w_scale=0.0)
        self._chunk_bytes = PHONE_RATE * chunk_ms // 1000
        self.worker = ModelWorker("piper")

    @classmethod
    def load(
        cls,
        *,
        model_path: Path | None = None,
        config_path: Path | None = None,
        deterministic: bool = False,
        chunk_ms: int = 100,
        threads: int = 1,
    ) -> PiperEngine:
        """``threads``: onnxruntime intra-op threads, without spin-waiting, so Piper can run
        beside Whisper and llama.cpp on 2 cores without the threads starving each other."""
        deps.require(deps.VOICE_MODULES, PROVIDER)
        import onnxruntime as ort
        from piper import PiperConfig, PiperVoice

        default_model, default_config = deps.piper_voice_paths()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(
            str(model_path or default_model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        config = PiperConfig.from_dict(json.loads((config_path or default_config).read_text(encoding="utf-8")))
        engine = cls(PiperVoice(session=session, config=config), deterministic=deterministic, chunk_ms=chunk_ms)
        for _ in engine.synthesize("Hello.", threading.Event()):  # warm-up: the first run is slow
            pass
        return engine

    def synthesize(self, text: str, stop: threading.Event) -> Iterator[bytes]:
        """Blocking. mu-law 8 kHz chunks of ``text``, sentence by sentence, until ``stop`` is set."""
        for chunk in self._voice.synthesize(text, self._config):
            if stop.is_set():
                return
            audio = resample(chunk.audio_float_array, chunk.sample_rate, PHONE_RATE)
            mulaw = pcm16_to_mulaw(float_to_pcm16(audio))
            for i in range(0, len(mulaw), self._chunk_bytes):
                yield mulaw[i : i + self._chunk_bytes]

    def close(self) -> None:
        self.worker.shutdown()


def split_clauses(text: str, *, min_comma_clause: int = 24) -> tuple[list[str], str]:
    """(complete clauses, remainder): cut after sentence punctuation, or after a comma once the
    clause is long enough to be worth speaking on its own."""
    clauses: list[str] = []
    rest = text
    while True:
        match = _SENTENCE_END.search(rest)
        comma = next((m for m in _CLAUSE_END.finditer(rest) if m.start() >= min_comma_clause), None)
        if comma is not None and (match is None or comma.start() < match.start()):
            match = comma
        if match is None:
            return clauses, rest
        clause = rest[: match.start()].strip()
        if clause:
            clauses.append(clause)
        rest = rest[match.end() :]


_END = None


class PiperUtterance:
    """One assistant turn. ``audio()`` yields mu-law bytes until ``finish()``ed text is spoken,
    ``cancel()``, or a failure."""

    def __init__(self, utterance_id: str, engine: PiperEngine, on_end: Any) -> None:
        self.utterance_id = utterance_id
        self._engine = engine
        self._on_end = on_end
        self._pending = ""
        self._clauses: asyncio.Queue[str | None] = asyncio.Queue()
        self._audio: AudioQueue = asyncio.Queue()
        self._input_done = False
        self._ended = False
        self._synth = asyncio.create_task(self._synth_task(), name=f"piper-synth-{utterance_id}")

    @property
    def ended(self) -> bool:
        return self._ended

    async def push(self, text: str) -> None:
        if self._ended or self._input_done or not text:
            return
        clauses, self._pending = split_clauses(self._pending + text)
        for clause in clauses:
            self._clauses.put_nowait(clause)

    async def finish(self) -> None:
        if self._ended or self._input_done:
            return
        self._input_done = True
        if self._pending.strip():
            self._clauses.put_nowait(self._pending.strip())
        self._pending = ""
        self._clauses.put_nowait(_END)

    async def cancel(self) -> None:
        if self._ended:
            return
        self._end(_END)
        with contextlib.suppress(asyncio.CancelledError):
            await self._synth

    def audio(self) -> AsyncIterator[bytes]:
        return drain_audio(self._audio)

    def fail(self, error: ProviderError) -> None:
        if not self._ended:
            self._end(error)

    def _end(self, final: ProviderError | None) -> None:
        self._ended = True
        if self._synth is not asyncio.current_task():
            self._synth.cancel()
        self._audio.put_nowait(final)
        self._on_end(self.utterance_id)

    async def _synth_task(self) -> None:
        try:
            while True:
                clause = await self._clauses.get()
                if clause is None:
                    self._end(_END)
                    return
                chunks = self._engine.worker.stream(partial(self._engine.synthesize, clause))
                async for chunk in chunks:
                    self._audio.put_nowait(chunk)
        except Exception as exc:
            self.fail(ProviderError(PROVIDER, f"synthesis failed ({type(exc).__name__})", retryable=False))


class PiperTextToSpeech:
    """``connect()`` at stream start (nothing to open: the voice is local); ``start_utterance(id)``
    per assistant turn; ``aclose()`` at the end."""

    def __init__(self, engine: PiperEngine) -> None:
        self._engine = engine
        self._active: dict[str, PiperUtterance] = {}
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def connect(self) -> None:
        self._connected = True

    def start_utterance(self, utterance_id: str) -> PiperUtterance:
        if not self._connected:
            raise ProviderError(PROVIDER, "not connected", retryable=True)
        utterance = PiperUtterance(utterance_id, self._engine, self._forget)
        self._active[utterance_id] = utterance
        return utterance

    async def aclose(self) -> None:
        self._connected = False
        for utterance in list(self._active.values()):
            utterance.fail(ProviderError(PROVIDER, "closed", retryable=False))

    def _forget(self, utterance_id: str) -> None:
        self._active.pop(utterance_id, None)
