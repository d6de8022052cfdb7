"""One progress line per set-up step: ``[1/8] moto server … ok (0.8 s)``.

    progress = Progress(total=8)
    with progress.step("moto server"):
        ...
A step that raises prints ``failed`` with the error's type and re-raises.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Progress:
    total: int
    out: TextIO = field(default_factory=lambda: sys.stdout)
    done: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.done += 1
        self.out.write(f"[{self.done}/{self.total}] {label} … ")
        self.out.flush()
        started = time.monotonic()
        try:
            yield
        except BaseException as exc:
            self.out.write(f"failed ({type(exc).__name__}, {time.monotonic() - started:.1f} s)\n")
            self.out.flush()
            raise
        elapsed = time.monotonic() - started
        self.timings[label] = elapsed
        self.out.write(f"ok ({elapsed:.1f} s)\n")
        self.out.flush()
