"""The recording timeline: caller by bytes (STT time), agent by what was sent and when, cut at ``clear``."""

from __future__ import annotations

import numpy as np

from fakes.audio import ULAW_TO_LINEAR, speech_like_mulaw
from media_worker.runtime.recorder import FRAME_BYTES, ULAW_TO_PCM16, CallRecorder, stereo_pcm
from switchboard.pci import Span


class Clock:
    def __init__(self) -> None:
        self.ms = 1000.0

    def __call__(self) -> float:
        return self.ms


def channels(pcm: bytes) -> tuple[np.ndarray, np.ndarray]:
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    return samples[:, 0], samples[:, 1]


def test_the_mulaw_table_matches_g711() -> None:
    assert np.array_equal(ULAW_TO_PCM16, ULAW_TO_LINEAR)


def test_stereo_pcm_interleaves_caller_left_agent_right() -> None:
    caller, agent = bytes([0x00, 0xFF]), bytes([0xFF, 0x80])
    left, right = channels(stereo_pcm(caller, agent))
    assert list(left) == [ULAW_TO_LINEAR[0x00], 0] and list(right) == [0, ULAW_TO_LINEAR[0x80]]


def test_a_segment_is_cut_only_when_caller_audio_and_the_clock_have_passed_its_end() -> None:
    # given a recorder with 1 s segments, started at the clock's 1000 ms
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(clock.ms)
    # when 1 s of caller audio arrived but the clock is at 0.5 s
    recorder.caller_audio(b"\x10" * 8000)
    clock.ms += 500
    # then the segment is not settled; at 1 s it is
    assert not recorder.can_cut(10**9)
    clock.ms += 500
    assert recorder.can_cut(10**9)
    assert not recorder.can_cut(7999)  # a horizon (the PCI gate) before its end holds it back
    segment = recorder.cut()
    assert segment.index == 0 and segment.samples == 8000 and len(segment.pcm) == 8000 * FRAME_BYTES


def test_agent_frames_play_back_to_back_from_when_they_were_sent() -> None:
    # given a recorder; the lane sends two 20 ms frames at once at 100 ms (ahead of playback)
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(clock.ms)
    clock.ms += 100
    recorder.agent_sent(b"\x01" * 160)
    recorder.agent_sent(b"\x02" * 160)
    recorder.caller_audio(b"\xff" * 8000)
    clock.ms += 900
    # then the agent channel is silent until 100 ms and holds both frames one after the other
    _, agent = channels(recorder.cut().pcm)
    assert not agent[:800].any()
    assert (agent[800:960] == ULAW_TO_LINEAR[1]).all() and (agent[960:1120] == ULAW_TO_LINEAR[2]).all()
    assert not agent[1120:].any()


def test_clear_erases_agent_audio_the_caller_never_heard() -> None:
    # given 200 ms of agent audio sent at 0 ms (played until 200 ms)
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(clock.ms)
    for _ in range(10):
        recorder.agent_sent(b"\x05" * 160)
    # when the lane clears at 50 ms (the caller barged in)
    clock.ms += 50
    recorder.agent_cleared()
    recorder.caller_audio(b"\xff" * 8000)
    clock.ms += 950
    # then only the first 50 ms of the reply are in the recording
    _, agent = channels(recorder.cut().pcm)
    assert (agent[:400] == ULAW_TO_LINEAR[5]).all()
    assert not agent[400:].any()


def test_spans_become_digital_silence_on_both_channels_and_nothing_else_changes() -> None:
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(clock.ms)
    speech = speech_like_mulaw(2.0, seed=3)
    recorder.caller_audio(speech)
    clock.ms += 2000
    first = recorder.cut([Span(1.25, 1.5)])
    second = recorder.cut([Span(1.25, 1.5)])
    left1, _ = channels(first.pcm)
    left2, right2 = channels(second.pcm)
    assert np.array_equal(left1, ULAW_TO_LINEAR[np.frombuffer(speech[:8000], dtype=np.uint8)])
    assert not left2[2000:4000].any() and not right2[2000:4000].any()
    expected = ULAW_TO_LINEAR[np.frombuffer(speech[8000:], dtype=np.uint8)]
    assert np.array_equal(left2[:2000], expected[:2000]) and np.array_equal(left2[4000:], expected[4000:])


def test_the_rest_is_cut_as_whole_segments_and_a_shorter_last_one() -> None:
    clock = Clock()
    recorder = CallRecorder(segment_s=1.0, clock_ms=clock)
    recorder.start(clock.ms)
    recorder.caller_audio(b"\x33" * 20000)
    rest = recorder.cut_rest()
    assert [s.samples for s in rest] == [8000, 8000, 4000]
    assert [s.index for s in rest] == [0, 1, 2]


def test_untranscribed_caller_speech_is_found_after_a_time() -> None:
    clock = Clock()
    recorder = CallRecorder(segment_s=10.0, clock_ms=clock)
    recorder.caller_audio(b"\xff" * 8000 + speech_like_mulaw(0.5, seed=1))
    assert recorder.first_voiced_caller_s(0.0, threshold_rms=500.0) == 1.0
    assert recorder.first_voiced_caller_s(1.6, threshold_rms=500.0) is None
