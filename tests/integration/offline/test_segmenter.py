"""SpeechSegmenter: VAD probabilities -> speech started / segment closed / utterance end.

Frames are classified by a stand-in that calls a frame speech when it is loud, so boundaries are
exact; the real Silero model is exercised in test_whisper_stt.py.
"""

from __future__ import annotations

import numpy as np

from media_worker.providers.offline.audio import Float32Array
from media_worker.providers.offline.vad import (
    FRAME,
    SegmentClosed,
    SegmenterConfig,
    SegmenterEvent,
    SegmentStarted,
    SpeechSegmenter,
    UtteranceEnded,
)

RATE = 8000


class LoudIsSpeech:
    def probability(self, frame: Float32Array) -> float:
        return 1.0 if float(np.abs(frame).max()) > 0.1 else 0.0


def audio(*parts: tuple[str, float]) -> Float32Array:
    """("speech"|"silence", seconds) pieces; sizes are whole frames."""
    chunks = []
    for kind, seconds in parts:
        n = round(seconds * RATE / FRAME) * FRAME
        chunks.append(np.full(n, 0.5 if kind == "speech" else 0.0, dtype=np.float32))
    return np.concatenate(chunks)


def feed_in_20ms(segmenter: SpeechSegmenter, samples: Float32Array) -> list[SegmenterEvent]:
    events: list[SegmenterEvent] = []
    for i in range(0, samples.size, 160):
        events += segmenter.feed(samples[i : i + 160])
    return events


def test_speech_then_silence_starts_closes_and_ends_the_utterance() -> None:
    # given a segmenter with 500 ms endpointing and a 1 s utterance end
    config = SegmenterConfig(endpointing_ms=500, utterance_end_ms=1000, pre_roll_ms=200, post_roll_ms=150)
    segmenter = SpeechSegmenter(LoudIsSpeech(), config)
    # when it hears 1 s of silence, 1 s of speech, then 1.5 s of silence, in 20 ms frames
    events = feed_in_20ms(segmenter, audio(("silence", 1.024), ("speech", 1.024), ("silence", 1.536)))
    # then speech starts where the loud audio starts, the segment closes at its end, and the
    # utterance ends after a further second
    assert [type(e) for e in events] == [SegmentStarted, SegmentClosed, UtteranceEnded]
    started, closed, ended = events
    assert isinstance(started, SegmentStarted) and isinstance(closed, SegmentClosed)
    assert isinstance(ended, UtteranceEnded)
    assert started.start == 32 * FRAME
    assert (closed.start, closed.end) == (32 * FRAME, 64 * FRAME)
    # and the segment audio carries the pre-roll and post-roll around the speech
    assert closed.audio_start == closed.start - 1600
    assert closed.audio.size == (closed.end + 1200) - closed.audio_start
    assert not closed.finalized
    assert ended.last_speech_end == closed.end


def test_a_click_shorter_than_min_speech_is_not_speech() -> None:
    # given a segmenter that needs 96 ms of speech
    segmenter = SpeechSegmenter(LoudIsSpeech(), SegmenterConfig(min_speech_ms=96))
    # when it hears one 32 ms loud frame in silence
    events = feed_in_20ms(segmenter, audio(("silence", 0.256), ("speech", 0.032), ("silence", 2.0)))
    # then nothing is reported
    assert events == []


def test_flush_closes_the_segment_in_progress_as_finalized() -> None:
    # given speech in progress
    segmenter = SpeechSegmenter(LoudIsSpeech(), SegmenterConfig())
    events = feed_in_20ms(segmenter, audio(("silence", 0.512), ("speech", 0.512)))
    assert [type(e) for e in events] == [SegmentStarted]
    # when flushed (a Finalize)
    flushed = segmenter.flush()
    # then the segment closes at what was heard so far, marked finalized
    assert len(flushed) == 1 and isinstance(flushed[0], SegmentClosed)
    assert flushed[0].finalized
    assert flushed[0].end == 32 * FRAME
    # and a second flush has nothing to close
    assert segmenter.flush() == []


def test_long_speech_is_cut_at_the_maximum_segment_length() -> None:
    # given a 2 s segment limit
    segmenter = SpeechSegmenter(LoudIsSpeech(), SegmenterConfig(max_segment_ms=2000))
    # when the caller speaks for 3 s
    events = feed_in_20ms(segmenter, audio(("silence", 0.256), ("speech", 3.072)))
    # then the first segment is closed at the limit (not finalized) and a new one starts
    closed = [e for e in events if isinstance(e, SegmentClosed)]
    assert len(closed) == 1
    assert closed[0].end - closed[0].start >= 2 * RATE
    assert not closed[0].finalized
    assert segmenter.in_speech
