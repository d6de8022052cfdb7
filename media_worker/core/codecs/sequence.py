"""Detect gaps and reordering in a carrier's ``sequenceNumber`` / ``sequence_number``."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class SequenceGap:
    """The sequence number seen was not the one expected.

    ``missing`` > 0: that many messages were skipped. ``missing`` <= 0: a late
    or repeated message.
    """

    expected: int
    received: int

    @property
    def missing(self) -> int:
        return self.received - self.expected


@dataclass(frozen=True, slots=True)
class SequenceTracker:
    """A value: ``tracker, gap = tracker.observe(n)``."""

    expected: int | None = None

    def observe(self, sequence: int | None) -> tuple[SequenceTracker, SequenceGap | None]:
        if sequence is None:
            return self, None
        if self.expected is None or sequence == self.expected:
            return replace(self, expected=sequence + 1), None
        gap = SequenceGap(expected=self.expected, received=sequence)
        if sequence > self.expected:
            return replace(self, expected=sequence + 1), gap
        return self, gap
