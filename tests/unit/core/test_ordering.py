"""Sequence gaps and Telnyx media reordering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_worker.core import JitterReorderer, SequenceGap, SequenceTracker


def test_sequence_in_order_reports_nothing() -> None:
    tracker = SequenceTracker()
    for n in (1, 2, 3):
        tracker, gap = tracker.observe(n)
        assert gap is None


def test_sequence_gap_is_reported_with_the_missing_count() -> None:
    tracker, _ = SequenceTracker().observe(1)
    tracker, gap = tracker.observe(5)
    assert gap == SequenceGap(expected=2, received=5)
    assert gap.missing == 3
    # and tracking continues from the new number
    _, gap = tracker.observe(6)
    assert gap is None


def test_late_or_repeated_sequence_is_reported_without_moving_back() -> None:
    tracker, _ = SequenceTracker().observe(10)
    tracker, gap = tracker.observe(9)
    assert gap is not None and gap.missing < 0
    assert tracker.expected == 11


def test_missing_sequence_number_is_ignored() -> None:
    tracker = SequenceTracker()
    assert tracker.observe(None) == (tracker, None)


def test_reorderer_releases_in_chunk_order() -> None:
    r: JitterReorderer[str] = JitterReorderer(window=4, next_chunk=1)
    r, out = r.push(2, "b")
    assert out.items == ()
    r, out = r.push(1, "a")
    assert out.items == ("a", "b")
    r, out = r.push(3, "c")
    assert out.items == ("c",)


def test_reorderer_skips_a_lost_chunk_once_the_window_fills() -> None:
    r: JitterReorderer[str] = JitterReorderer(window=3, next_chunk=1)
    r, _ = r.push(1, "a")
    r, out = r.push(3, "c")
    r, out = r.push(4, "d")
    assert out.items == ()
    r, out = r.push(5, "e")
    # then chunk 2 is given up and the rest flows
    assert out.skipped == (2,)
    assert out.items == ("c", "d", "e")
    # and chunk 2 arriving now is dropped, not played out of order
    _, out = r.push(2, "b")
    assert out.dropped == (2,) and out.items == ()


def test_reorderer_drops_duplicates() -> None:
    r: JitterReorderer[str] = JitterReorderer(window=4, next_chunk=1)
    r, _ = r.push(3, "c")
    _, out = r.push(3, "c again")
    assert out.dropped == (3,)


def test_flush_releases_everything_left_in_order() -> None:
    r: JitterReorderer[str] = JitterReorderer(window=8, next_chunk=1)
    r, _ = r.push(4, "d")
    r, _ = r.push(3, "c")
    r, out = r.flush()
    assert out.items == ("c", "d")
    assert out.skipped == (1, 2)
    assert r.pending == {}


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        JitterReorderer(window=0)


@st.composite
def jittered(draw: st.DrawFn) -> tuple[list[int], int]:
    """Chunks 1..n, each displaced by at most a few places, some lost."""
    n = draw(st.integers(0, 60))
    jitter = draw(st.integers(0, 3))
    keys = [i + draw(st.floats(0, jitter)) for i in range(1, n + 1)]
    order = [c for _, c in sorted(zip(keys, range(1, n + 1), strict=True))]
    lost = draw(st.sets(st.integers(1, max(n, 1)), max_size=5))
    return [c for c in order if c not in lost], jitter


@given(jittered(), st.integers(1, 6))
def test_every_chunk_is_released_at_most_once_and_in_increasing_order(data: tuple[list[int], int], window: int) -> None:
    arrivals, _ = data
    r: JitterReorderer[int] = JitterReorderer(window=window, next_chunk=1)
    released: list[int] = []
    dropped: list[int] = []
    for chunk in arrivals:
        r, out = r.push(chunk, chunk)
        released += out.items
        dropped += out.dropped
    r, out = r.flush()
    released += out.items
    # never out of order, never twice, and every arrival either released or explicitly dropped
    assert released == sorted(set(released))
    assert sorted(released + dropped) == sorted(arrivals)


@given(st.permutations(list(range(1, 9))))
def test_with_a_window_wider_than_the_jitter_nothing_is_lost(order: list[int]) -> None:
    r: JitterReorderer[int] = JitterReorderer(window=8, next_chunk=1)
    released: list[int] = []
    for chunk in order:
        r, out = r.push(chunk, chunk)
        released += out.items
    assert released == list(range(1, 9))
