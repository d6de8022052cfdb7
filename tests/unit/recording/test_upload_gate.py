"""The PCI gate: no segment holding card audio is cut for upload before the STT final covering it arrived."""

from __future__ import annotations

import numpy as np

from fakes.audio import ULAW_TO_LINEAR, speech_like_mulaw
from media_worker.core import TranscriptUpdated, Word
from media_worker.runtime.logs import CallLogger
from media_worker.runtime.pci_guard import PAD_S, PciGuard
from media_worker.runtime.recorder import CallRecorder
from media_worker.runtime.uploader import RecordingTarget, RecordingUploader

TARGET = RecordingTarget("bucket", "tn_1", "ca_1", 1.0, "retention-days=30")


class Clock:
    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self) -> float:
        return self.ms


def final(text: str, start: float, end: float) -> TranscriptUpdated:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = tuple(Word(t, start + i * step, start + (i + 1) * step) for i, t in enumerate(tokens))
    return TranscriptUpdated(now_ms=0.0, text=text, is_final=True, speech_final=True, words=words)


def test_card_audio_waits_for_its_final_then_is_cut_masked() -> None:
    # given a recorder with 1 s segments behind the PCI gate; the caller reads a card from 1 s to 3 s
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(0.0)
    guard = PciGuard(key=b"k" * 32)
    uploader = RecordingUploader(None, TARGET, recorder, log=CallLogger("ca_1"), horizon_s=guard.safe_until_s,
                                 spans=guard.spans)  # fmt: skip
    other = speech_like_mulaw(1.0, seed=6)  # 3.5 s to 4.5 s, not digits
    recorder.caller_audio(b"\xff" * 8000 + speech_like_mulaw(2.0, seed=5) + b"\xff" * 4000 + other + b"\xff" * 4000)
    clock.ms = 5000.0
    # when no final has arrived yet, nothing may be cut (the audio is complete and the clock is past it)
    assert uploader.cut_settled() == 0
    # when the final for a greeting covering 0..0.9 s arrives, only what it covers (minus padding) is cut
    guard.covered(0.9)
    assert uploader.cut_settled() == 0  # 0.9 - pad - slack < 1 s: the first segment still waits
    guard.covered(1.6)
    assert uploader.cut_settled() == 1
    # when the card's final arrives, its run stays open while another group could still follow
    guard.for_core(final("4111 1111 1111 1111", 1.0, 3.0))
    guard.covered(5.0)
    assert uploader.cut_settled() == 0
    # once finals cover more than the gap after the last digit, the rest is cut, the card silenced
    guard.covered(6.5)
    assert uploader.cut_settled() == 4
    segments = uploader.pending
    caller = np.concatenate([np.frombuffer(s.pcm, dtype="<i2").reshape(-1, 2)[:, 0] for s in segments])
    assert not caller[int((1.0 - PAD_S) * 8000) : int((3.0 + PAD_S) * 8000)].any()
    assert np.array_equal(caller[28000:36000], ULAW_TO_LINEAR[np.frombuffer(other, dtype=np.uint8)])


def test_an_open_digit_run_holds_the_segments_it_could_still_reach() -> None:
    # given the caller read eight digits (could be half a card) and the final covers up to 3.2 s
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(0.0)
    guard = PciGuard(key=b"k" * 32)
    uploader = RecordingUploader(None, TARGET, recorder, log=CallLogger("ca_1"), horizon_s=guard.safe_until_s,
                                 spans=guard.spans)  # fmt: skip
    recorder.caller_audio(b"\xff" * 8 * 8000)
    clock.ms = 8000.0
    guard.for_core(final("4111 1111", 2.0, 3.0))
    guard.covered(3.2)
    # then only the segment before the run (minus padding) may go
    assert uploader.cut_settled() == 1
    # and once the finals cover more than the gap after the last digit, the run is closed
    guard.covered(6.5)
    assert uploader.cut_settled() == 5
