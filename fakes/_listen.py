"""Sans-I/O core of the fake Deepgram live listener: audio in, Deepgram messages out.

Timing comes from the audio itself (stream time = bytes / 8000), never from the wall clock, so
a test that pushes audio faster than real time gets the same messages as a paced caller. The
only wall-clock figure is ``final_latency_ms``, returned as a send delay with each message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fakes.audio import FRAME_MS, SAMPLE_RATE, frame_rms

_FRAME_S = FRAME_MS / 1000


@dataclass(frozen=True)
class ListenConfig:
    endpointing_ms: int | None = 10  # None: endpointing disabled (finals only on Finalize/CloseStream)
    utterance_end_ms: int | None = None
    interim_results: bool = False
    vad_events: bool = False
    final_latency_ms: int = 0
    interim_every_ms: int = 200
    words_per_s: float = 3.0
    vad_threshold_rms: float = 300.0
    min_speech_ms: int = 40
    model: str = "nova-3"
    encoding: str = "mulaw"  # or "linear16" (what Pipecat's Deepgram service sends)
    sample_rate: int = SAMPLE_RATE

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate * (2 if self.encoding == "linear16" else 1)

    @property
    def frame_bytes(self) -> int:
        return self.bytes_per_second * FRAME_MS // 1000

    def frame_levels(self, data: bytes) -> npt.NDArray[np.float64]:
        if self.encoding != "linear16":
            return frame_rms(data, self.frame_bytes)
        samples = np.frombuffer(data, dtype="<i2").astype(np.float64).reshape(-1, self.frame_bytes // 2)
        return np.asarray(np.sqrt(np.mean(samples * samples, axis=1)))


@dataclass(frozen=True)
class Outgoing:
    """A message to send ``delay_ms`` after the audio that caused it arrived."""

    message: dict[str, Any]
    delay_ms: int = 0


@dataclass
class _Utterance:
    start_s: float
    last_voiced_end_s: float
    silence_ms: int = 0
    next_interim_s: float = 0.0


@dataclass
class ListenEngine:
    """Feed mu-law audio; get back the messages Deepgram would send."""

    config: ListenConfig
    peek_transcript: Callable[[], str]
    take_transcript: Callable[[], str]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    audio_bytes: int = 0
    speech_starts: int = 0
    _pending: bytes = b""
    _frames: int = 0
    _utterance: _Utterance | None = None
    _voiced_run: int = 0
    _voiced_start_s: float = 0.0
    _utterance_end_from_s: float | None = None

    @property
    def stream_time_s(self) -> float:
        return self.audio_bytes / self.config.bytes_per_second

    @property
    def in_speech(self) -> bool:
        return self._utterance is not None

    def feed(self, audio: bytes) -> list[Outgoing]:
        out: list[Outgoing] = []
        self.audio_bytes += len(audio)
        data = self._pending + audio
        frame_bytes = self.config.frame_bytes
        whole = len(data) // frame_bytes * frame_bytes
        self._pending = data[whole:]
        if not whole:
            return out
        for level in self.config.frame_levels(data[:whole]):
            t0 = self._frames * _FRAME_S
            self._frames += 1
            self._frame(t0, float(level) > self.config.vad_threshold_rms, out)
        return out

    def finalize(self) -> list[Outgoing]:
        """Client sent Finalize: flush what was heard as is_final (from_finalize=true)."""
        out: list[Outgoing] = []
        self._close_utterance(out, speech_final=False, from_finalize=True)
        return out

    def close_stream(self) -> list[Outgoing]:
        """Client sent CloseStream: flush, then Metadata."""
        out: list[Outgoing] = []
        self._close_utterance(out, speech_final=True, from_finalize=False)
        out.append(Outgoing(self._metadata(), self.config.final_latency_ms))
        return out

    # -- per frame ---------------------------------------------------------------------------

    def _frame(self, t0: float, voiced: bool, out: list[Outgoing]) -> None:
        t1 = t0 + _FRAME_S
        utterance = self._utterance
        if utterance is None:
            self._idle_frame(t0, t1, voiced, out)
            return
        if voiced:
            utterance.last_voiced_end_s = t1
            utterance.silence_ms = 0
        else:
            utterance.silence_ms += FRAME_MS
        if self.config.interim_results and t1 >= utterance.next_interim_s:
            utterance.next_interim_s = t1 + self.config.interim_every_ms / 1000
            words = self._words(self.peek_transcript(), utterance.start_s, t1)
            shown = min(len(words), int((t1 - utterance.start_s) * self.config.words_per_s))
            if shown:
                out.append(Outgoing(self._results(words[:shown], utterance.start_s, t1, is_final=False)))
        endpointing = self.config.endpointing_ms
        if endpointing is not None and utterance.silence_ms >= max(endpointing, FRAME_MS):
            self._close_utterance(out, speech_final=True, from_finalize=False)

    def _idle_frame(self, t0: float, t1: float, voiced: bool, out: list[Outgoing]) -> None:
        if not voiced:
            self._voiced_run = 0
            ue_ms = self.config.utterance_end_ms
            since = self._utterance_end_from_s
            if since is not None and ue_ms is not None and t1 - since >= ue_ms / 1000:
                out.append(Outgoing(self._utterance_end(since), self.config.final_latency_ms))
                self._utterance_end_from_s = None
            return
        if self._voiced_run == 0:
            self._voiced_start_s = t0
        self._voiced_run += 1
        if self._voiced_run * FRAME_MS < self.config.min_speech_ms:
            return
        self._voiced_run = 0
        self._utterance_end_from_s = None
        start = self._voiced_start_s
        self._utterance = _Utterance(start_s=start, last_voiced_end_s=t1, next_interim_s=t1)
        self.speech_starts += 1
        if self.config.vad_events:
            out.append(Outgoing({"type": "SpeechStarted", "channel": [0], "timestamp": round(start, 3)}))

    def _close_utterance(self, out: list[Outgoing], *, speech_final: bool, from_finalize: bool) -> None:
        utterance = self._utterance
        if utterance is None:
            if from_finalize:
                now = self.stream_time_s
                message = self._results([], now, now, is_final=True, from_finalize=True)
                out.append(Outgoing(message, self.config.final_latency_ms))
            return
        self._utterance = None
        end = utterance.last_voiced_end_s
        words = self._words(self.take_transcript(), utterance.start_s, end)
        message = self._results(
            words, utterance.start_s, end, is_final=True, speech_final=speech_final, from_finalize=from_finalize
        )
        out.append(Outgoing(message, self.config.final_latency_ms))
        if words:
            self._utterance_end_from_s = words[-1]["end"]

    # -- message builders --------------------------------------------------------------------

    @staticmethod
    def _words(transcript: str, start_s: float, end_s: float) -> list[dict[str, Any]]:
        tokens = transcript.split()
        if not tokens:
            return []
        step = max(end_s - start_s, 0.0) / len(tokens)
        return [
            {
                "word": re.sub(r"[^\w'@.-]", "", token).strip(".").lower() or token,
                "start": round(start_s + i * step, 3),
                "end": round(start_s + (i + 1) * step, 3),
                "confidence": 0.98,
                "punctuated_word": token,
            }
            for i, token in enumerate(tokens)
        ]

    def _results(
        self,
        words: list[dict[str, Any]],
        start_s: float,
        end_s: float,
        *,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> dict[str, Any]:
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(max(end_s - start_s, 0.0), 3),
            "start": round(start_s, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {
                "alternatives": [
                    {
                        "transcript": " ".join(w["punctuated_word"] for w in words),
                        "confidence": 0.98 if words else 0.0,
                        "words": words,
                    }
                ]
            },
            "metadata": {
                "request_id": self.request_id,
                "model_info": {"name": f"general-{self.config.model}", "version": "fake", "arch": self.config.model},
                "model_uuid": "00000000-0000-0000-0000-000000000000",
            },
        }

    @staticmethod
    def _utterance_end(last_word_end_s: float) -> dict[str, Any]:
        return {"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(last_word_end_s, 3)}

    def _metadata(self) -> dict[str, Any]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": "0" * 64,
            "created": "1970-01-01T00:00:00.000Z",
            "duration": round(self.stream_time_s, 3),
            "channels": 1,
        }
