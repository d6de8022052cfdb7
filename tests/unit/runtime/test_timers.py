"""The timer wheel turns StartTimer/CancelTimer into TimerFired facts, replacing by name."""

from __future__ import annotations

import asyncio
import time

from media_worker.core import TimerFired
from media_worker.runtime.timers import TimerWheel


def clock() -> float:
    return time.monotonic() * 1000.0


class Fired(list[TimerFired]):
    """Collects TimerFired facts; ``wait_for(n)`` until n arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def append(self, fact: TimerFired) -> None:
        super().append(fact)
        self.changed.set()


async def fired_within(fired: Fired, count: int, within_s: float = 2.0) -> None:
    async with asyncio.timeout(within_s):
        while len(fired) < count:
            fired.changed.clear()
            await fired.changed.wait()


async def test_a_started_timer_fires_once_with_its_name_and_generation() -> None:
    fired = Fired()
    wheel = TimerWheel(fired.append, clock)
    wheel.start("idle", 10, generation=3)
    await fired_within(fired, 1)
    assert [(f.name, f.generation) for f in fired] == [("idle", 3)]
    assert wheel.armed == frozenset()


async def test_restarting_a_name_replaces_the_old_timer() -> None:
    fired = Fired()
    wheel = TimerWheel(fired.append, clock)
    wheel.start("end_of_turn", 20, generation=1)
    wheel.start("end_of_turn", 30, generation=2)
    wheel.start("marker", 80, generation=3)  # fires after both would have
    await fired_within(fired, 2)
    assert [(f.name, f.generation) for f in fired] == [("end_of_turn", 2), ("marker", 3)]


async def test_cancelled_and_closed_timers_never_fire() -> None:
    fired = Fired()
    wheel = TimerWheel(fired.append, clock)
    wheel.start("a", 10, generation=1)
    wheel.cancel("a")
    wheel.start("b", 10, generation=2)
    wheel.close()
    wheel.start("c", 0, generation=3)  # ignored after close
    probe = TimerWheel(fired.append, clock)
    probe.start("probe", 40, generation=9)
    await fired_within(fired, 1)
    assert [f.name for f in fired] == ["probe"]
