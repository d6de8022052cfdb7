"""Put out-of-order media back in chunk order, with a small window (Telnyx does not guarantee order).

Chunks are released in order as soon as they are contiguous. A missing chunk
is waited for only while fewer than ``window`` later chunks are buffered;
then it is skipped (audio must flow; a 20 ms hole is better than a stall).
A chunk that arrives after its turn was skipped, or twice, is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reordered(Generic[T]):
    items: tuple[T, ...] = ()
    skipped: tuple[int, ...] = ()
    dropped: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class JitterReorderer(Generic[T]):
    """A value: ``reorderer, out = reorderer.push(chunk, item)``.

    ``next_chunk`` is the first chunk expected (``None``: whichever comes first).
    """

    window: int = 4
    next_chunk: int | None = None
    pending: Mapping[int, T] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("window must be at least 1")

    def push(self, chunk: int, item: T) -> tuple[JitterReorderer[T], Reordered[T]]:
        expected = chunk if self.next_chunk is None else self.next_chunk
        if chunk < expected or chunk in self.pending:
            return self, Reordered(dropped=(chunk,))
        pending = {**self.pending, chunk: item}
        released: list[T] = []
        skipped: list[int] = []
        while True:
            while expected in pending:
                released.append(pending.pop(expected))
                expected += 1
            if len(pending) < self.window:
                break
            first = min(pending)
            skipped.extend(range(expected, first))
            expected = first
        out = Reordered(items=tuple(released), skipped=tuple(skipped))
        return replace(self, next_chunk=expected, pending=pending), out

    def flush(self) -> tuple[JitterReorderer[T], Reordered[T]]:
        """Release everything buffered, in order (the stream ended)."""
        if not self.pending:
            return self, Reordered()
        order = sorted(self.pending)
        expected = self.next_chunk if self.next_chunk is not None else order[0]
        skipped = tuple(c for c in range(expected, order[-1]) if c not in self.pending)
        out = Reordered(items=tuple(self.pending[c] for c in order), skipped=skipped)
        return replace(self, next_chunk=order[-1] + 1, pending={}), out
