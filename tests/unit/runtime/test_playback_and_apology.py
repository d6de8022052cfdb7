"""The simulated caller's playback buffer (mark echo, clear) and the no-TTS fallback clip."""

from __future__ import annotations

from media_worker.runtime.apology import ApologyClips, chime
from switchboard.caller import PlaybackBuffer, frame_rms


def test_marks_echo_once_the_audio_before_them_has_played() -> None:
    buffer = PlaybackBuffer()
    buffer.add_audio(1000.0, b"\x10" * 160)  # plays 1000-1020
    buffer.add_audio(1000.0, b"\x10" * 160)  # plays 1020-1040
    buffer.add_mark(1000.0, "r1@40")
    buffer.add_audio(1001.0, b"\x10" * 160)
    buffer.add_mark(1001.0, "r1@end")
    assert buffer.due_marks(1039.0) == []
    assert buffer.due_marks(1040.0) == ["r1@40"]
    assert buffer.due_marks(1060.0) == ["r1@end"]


def test_clear_drops_unplayed_audio_and_echoes_pending_marks_at_once() -> None:
    buffer = PlaybackBuffer()
    for _ in range(10):
        buffer.add_audio(0.0, b"\x10" * 160)  # 200 ms queued
    buffer.add_mark(0.0, "r1@200")
    assert buffer.clear(50.0) == ["r1@200"]
    assert len(buffer.played(1000.0)) == 3 * 160  # frames starting at 0, 20, 40 had started
    buffer.add_audio(60.0, b"\x20" * 160)
    assert buffer.frames[-1].start_ms == 60.0  # new audio plays at once after a clear


def test_the_fallback_chime_is_short_real_audio() -> None:
    clip = chime()
    assert 400 <= len(clip) / 8 <= 1000
    loud = [frame_rms(clip[i : i + 160]) for i in range(0, len(clip) - 159, 160)]
    assert min(loud[2:-2]) > 1000  # audible throughout, not silence
    clips = ApologyClips()
    assert clips.clip(("voice", "sonic-3", "en", "Sorry")) == clips.tone
