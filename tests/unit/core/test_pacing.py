"""Outbound pacing: 20 ms frames with at most ~200 ms lead over playback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from media_worker.core import FRAME_BYTES, PacingClock, duration_ms, split_frames


def test_a_fresh_clock_allows_the_lead_at_once() -> None:
    assert PacingClock(lead_ms=200).frames_allowed(now_ms=1000.0) == 10


def test_after_the_lead_is_sent_one_frame_per_20_ms() -> None:
    clock = PacingClock(lead_ms=200).after_send(1000.0, 10)
    assert clock.frames_allowed(1000.0) == 0
    assert clock.next_send_delay_ms(1000.0) == 20.0
    assert clock.frames_allowed(1020.0) == 1
    assert clock.frames_allowed(1100.0) == 5


def test_an_underrun_restarts_the_timeline_instead_of_bursting() -> None:
    # given 10 frames sent at t=0 and nothing more for a second
    clock = PacingClock(lead_ms=200).after_send(0.0, 10)
    # then only one lead's worth may go, not the whole second
    assert clock.frames_allowed(1000.0) == 10
    assert clock.after_send(1000.0, 10).buffered_ms(1000.0) == 200.0


def test_reset_forgets_what_was_sent() -> None:
    clock = PacingClock().after_send(0.0, 10).reset()
    assert clock.buffered_ms(0.0) == 0.0
    assert clock.frames_allowed(0.0) == 10


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(0, 20)), max_size=40))
def test_sending_what_is_allowed_never_exceeds_the_lead(steps: list[tuple[float, int]]) -> None:
    # whatever the timing, sending up to the allowance keeps buffered audio within the lead
    clock = PacingClock(lead_ms=200)
    now = 0.0
    for gap, want in steps:
        now += gap
        send = min(want, clock.frames_allowed(now))
        clock = clock.after_send(now, send)
        assert clock.buffered_ms(now) <= 200.0 + 1e-6


def test_split_frames_keeps_the_remainder() -> None:
    frames, rest = split_frames(bytes(FRAME_BYTES * 2 + 7))
    assert len(frames) == 2 and all(len(f) == FRAME_BYTES for f in frames)
    assert len(rest) == 7
    assert duration_ms(FRAME_BYTES) == 20.0
