"""While the STT reconnects, caller audio collects in the replay buffer instead of overflowing the lane."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from media_worker.providers import SttEvent
from media_worker.runtime.logs import CallLogger
from media_worker.runtime.stt_lane import SttLane
from switchboard.errors import ProviderError

FRAME = b"\x10" * 160


class FakeStt:
    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.received = bytearray()
        self.fail = asyncio.Event()

    async def connect(self) -> None:
        if self.gate is not None:
            await self.gate.wait()

    async def send_audio(self, mulaw: bytes) -> None:
        self.received += mulaw

    async def finalize(self) -> None:
        return None

    async def events(self) -> AsyncIterator[SttEvent]:
        await self.fail.wait()
        raise ProviderError("fake-stt", "dropped", retryable=True)
        yield  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        return None


async def test_audio_pushed_during_a_long_reconnect_is_replayed_whole_and_nothing_is_dropped() -> None:
    # given a connected lane whose stream drops, and a reconnect that takes a while
    gate = asyncio.Event()
    first, second = FakeStt(), FakeStt(gate)
    lane = SttLane(first, deliver=lambda fact: None, clock_ms=lambda: 0.0, log=CallLogger("ca_1"),
                   reconnect=lambda: second)  # fmt: skip
    await lane.connect()
    lane.start()
    for _ in range(10):
        lane.push(FRAME)
    await asyncio.sleep(0)
    first.fail.set()

    # when 12 s of caller audio arrive while reconnecting (more than the lane's 10 s queue)
    for n in range(600):
        lane.push(FRAME)
        if n % 50 == 0:
            await asyncio.sleep(0)
    gate.set()
    async with asyncio.timeout(2):
        while len(second.received) < 610 * 160:  # noqa: ASYNC110 - polling the fake's record
            await asyncio.sleep(0.005)
    await lane.aclose()

    # then the new stream got all of it (the replay), once, and the lane dropped nothing
    assert len(second.received) == 610 * 160
    assert lane.dropped_frames == 0
