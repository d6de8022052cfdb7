"""Voice activity for the offline STT: Silero VAD (ONNX, 8 kHz) and a segmenter that turns its
per-frame speech probabilities into speech-started / segment-closed decisions.

``SpeechSegmenter`` is synchronous and owned by one stream; the STT runs it in a worker thread,
one batch at a time, so it never blocks the event loop. Times are sample counts at 8 kHz from
the start of the stream (stream time, as Deepgram reports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from media_worker.providers.offline.audio import PHONE_RATE, Float32Array

FRAME = 256
"""Samples per Silero frame at 8 kHz (32 ms)."""
CONTEXT = 32
"""Samples of the previous frame Silero sees before each frame at 8 kHz."""


class FrameClassifier(Protocol):
    def probability(self, frame: Float32Array) -> float:
        """Speech probability of one ``FRAME``-sample frame (frames arrive in order)."""
        ...


class SileroVad:
    """The Silero VAD v5 ONNX model. One InferenceSession serves every stream (``run`` is
    thread-safe); each stream keeps its own recurrent state in a ``SileroStream``."""

    def __init__(self, model_path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._sample_rate = np.array(PHONE_RATE, dtype=np.int64)

    def stream(self) -> SileroStream:
        return SileroStream(self)

    def run(self, window: Float32Array, state: Float32Array) -> tuple[float, Float32Array]:
        outputs: list[Any] = self._session.run(
            None, {"input": window[np.newaxis, :], "state": state, "sr": self._sample_rate}
        )
        return float(outputs[0][0, 0]), outputs[1]


class SileroStream:
    """Speech probability per 256-sample frame, carrying state and context between frames."""

    def __init__(self, vad: SileroVad) -> None:
        self._vad = vad
        self._state: Float32Array = np.zeros((2, 1, 128), dtype=np.float32)
        self._context: Float32Array = np.zeros(CONTEXT, dtype=np.float32)

    def probability(self, frame: Float32Array) -> float:
        window = np.concatenate([self._context, frame]).astype(np.float32, copy=False)
        prob, self._state = self._vad.run(window, self._state)
        self._context = frame[-CONTEXT:]
        return prob


@dataclass(frozen=True, slots=True)
class SegmenterConfig:
    start_threshold: float = 0.5
    """A frame at or above this probability is speech."""
    end_threshold: float = 0.35
    """Inside speech, a frame below this probability counts as silence."""
    min_speech_ms: float = 96.0
    """Speech must last this long (consecutive frames) before it counts as started."""
    endpointing_ms: float = 500.0
    """Silence that closes a segment (like Deepgram's ``endpointing``)."""
    utterance_end_ms: float = 1000.0
    """Silence after the last speech that reports an utterance end."""
    pre_roll_ms: float = 200.0
    """Audio kept before the detected start (Silero detects onsets a frame or two late)."""
    post_roll_ms: float = 150.0
    """Audio kept after the last voiced frame."""
    max_segment_ms: float = 15000.0
    """A segment this long is closed even mid-speech (it must stay under Whisper's 30 s window)."""

    def __post_init__(self) -> None:
        if self.max_segment_ms + self.pre_roll_ms + self.post_roll_ms >= 30000:
            raise ValueError("a segment with its pre- and post-roll must be shorter than 30 s")


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    start: int


@dataclass(frozen=True, slots=True)
class SegmentClosed:
    """Speech from ``start`` to ``end`` (samples); ``audio`` holds [audio_start, audio_start + len)."""

    start: int
    end: int
    audio: Float32Array
    audio_start: int
    finalized: bool = False
    """Closed by ``flush()`` (a Finalize), not by silence or the length limit."""


@dataclass(frozen=True, slots=True)
class UtteranceEnded:
    last_speech_end: int


SegmenterEvent = SegmentStarted | SegmentClosed | UtteranceEnded


def _samples(ms: float) -> int:
    return int(ms * PHONE_RATE / 1000)


class SpeechSegmenter:
    """Feeds audio through a ``FrameClassifier`` (a ``SileroStream``) frame by frame and reports
    segment boundaries."""

    def __init__(self, frames: FrameClassifier, config: SegmenterConfig | None = None) -> None:
        self._frames = frames
        self._config = config or SegmenterConfig()
        self._buffer: Float32Array = np.zeros(0, dtype=np.float32)
        self._buffer_start = 0  # stream sample index of _buffer[0]
        self._processed = 0  # samples already run through the VAD
        self._voiced_run = 0
        self._voiced_run_start = 0
        self._in_speech = False
        self._start = 0
        self._last_voiced_end = 0
        self._awaiting_utterance_end = False

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def received(self) -> int:
        return self._buffer_start + self._buffer.size

    def feed(self, samples: Float32Array) -> list[SegmenterEvent]:
        self._buffer = np.concatenate([self._buffer, samples]).astype(np.float32, copy=False)
        events: list[SegmenterEvent] = []
        while self.received - self._processed >= FRAME:
            offset = self._processed - self._buffer_start
            frame = self._buffer[offset : offset + FRAME]
            events.extend(self._step(self._frames.probability(frame), self._processed))
            self._processed += FRAME
        self._trim()
        return events

    def flush(self) -> list[SegmenterEvent]:
        """Close the segment in progress now (a Finalize); nothing if there is no speech."""
        if not self._in_speech:
            return []
        return [self._close(cut=True, finalized=True)]

    def _step(self, prob: float, frame_start: int) -> list[SegmenterEvent]:
        cfg = self._config
        frame_end = frame_start + FRAME
        if not self._in_speech:
            if prob >= cfg.start_threshold:
                if self._voiced_run == 0:
                    self._voiced_run_start = frame_start
                self._voiced_run += FRAME
                if self._voiced_run >= _samples(cfg.min_speech_ms):
                    self._in_speech = True
                    self._awaiting_utterance_end = False
                    self._start = self._voiced_run_start
                    self._last_voiced_end = frame_end
                    return [SegmentStarted(self._start)]
            else:
                self._voiced_run = 0
            if self._awaiting_utterance_end and frame_end - self._last_voiced_end >= _samples(cfg.utterance_end_ms):
                self._awaiting_utterance_end = False
                return [UtteranceEnded(self._last_voiced_end)]
            return []
        if prob >= cfg.end_threshold:
            self._last_voiced_end = frame_end
        if frame_end - self._last_voiced_end >= _samples(cfg.endpointing_ms):
            return [self._close(cut=False, finalized=False)]
        if frame_end - self._start >= _samples(cfg.max_segment_ms):
            return [self._close(cut=True, finalized=False)]
        return []

    def _close(self, *, cut: bool, finalized: bool) -> SegmentClosed:
        """End the segment at its last voiced frame, or (``cut``) at everything heard so far."""
        cfg = self._config
        audio_start = max(self._buffer_start, self._start - _samples(cfg.pre_roll_ms))
        end = max(self._last_voiced_end, self._processed) if cut else self._last_voiced_end
        audio_end = min(self.received, end + _samples(cfg.post_roll_ms))
        audio = self._buffer[audio_start - self._buffer_start : audio_end - self._buffer_start].copy()
        closed = SegmentClosed(self._start, end, audio, audio_start, finalized)
        self._in_speech = False
        self._voiced_run = 0
        self._last_voiced_end = end
        self._awaiting_utterance_end = True
        return closed

    def _trim(self) -> None:
        """Keep only what a segment may still need: the pre-roll, or the whole segment in progress."""
        keep_from = self._processed - _samples(self._config.pre_roll_ms) - FRAME
        if self._in_speech:
            keep_from = min(keep_from, self._start - _samples(self._config.pre_roll_ms))
        drop = keep_from - self._buffer_start
        if drop > PHONE_RATE:  # trim in >= 1 s steps, not every frame
            self._buffer = self._buffer[drop:]
            self._buffer_start += drop
