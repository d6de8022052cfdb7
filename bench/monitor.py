"""The process monitor: CPU and RSS of the agent's PID from /proc, and a ``/healthz`` latency probe.

Neither the worker nor Pipecat exposes its event loop's lag, so it is measured from outside: a
``GET /healthz`` every :data:`PROBE_EVERY_S` on a fresh loopback connection. The worker answers it
from its WebSocket server's request hook and Pipecat's bench server from a FastAPI route, both on
the event loop that carries the calls, so the probe's latency is the time a ready callback waits
for that loop (plus a loopback connect, about 0.2 ms, subtracted as the idle baseline).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
PROBE_EVERY_S = 0.1
SAMPLE_EVERY_S = 0.25


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU-seconds of the process (all its threads)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 1e6


def machine_busy_s() -> float:
    """CPU-seconds every CPU of the machine spent busy (all processes, all users) since boot."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen


async def healthz_ms(port: int, timeout_s: float = 2.0) -> float | None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            line = await reader.readline()
            writer.close()
    except (OSError, TimeoutError):
        return None
    return (time.perf_counter() - started) * 1000.0 if line.startswith(b"HTTP/1.1 200") else None


@dataclass
class Samples:
    at: list[float] = field(default_factory=list)  # time.monotonic()
    cpu_s: list[float] = field(default_factory=list)
    system_s: list[float] = field(default_factory=list)  # the kernel's share (socket syscalls on loopback)
    rss_mb: list[float] = field(default_factory=list)
    probe_ms: list[tuple[float, float]] = field(default_factory=list)  # (at, latency)

    def cpu_between(self, start: float, end: float, *, system_only: bool = False) -> float:
        """CPU-seconds used between two monotonic times (nearest samples inside the window)."""
        series = self.system_s if system_only else self.cpu_s
        inside = [(t, c) for t, c in zip(self.at, series, strict=True) if start <= t <= end]
        if len(inside) < 2:
            return 0.0
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return (c1 - c0) * (end - start) / max(t1 - t0, 1e-9)

    def rss_max_between(self, start: float, end: float) -> float:
        values = [r for t, r in zip(self.at, self.rss_mb, strict=True) if start <= t <= end]
        return max(values) if values else 0.0

    def probes_between(self, start: float, end: float) -> list[float]:
        return [ms for t, ms in self.probe_ms if start <= t <= end]


async def sample_task(pid: int, samples: Samples) -> None:
    while True:
        try:
            (user, system), rss = cpu_seconds(pid), rss_mb(pid)
        except (FileNotFoundError, ProcessLookupError):
            return
        samples.at.append(time.monotonic())
        samples.cpu_s.append(user + system)
        samples.system_s.append(system)
        samples.rss_mb.append(rss)
        await asyncio.sleep(SAMPLE_EVERY_S)


async def probe_task(port: int, samples: Samples) -> None:
    while True:
        at = time.monotonic()
        ms = await healthz_ms(port)
        if ms is not None:
            samples.probe_ms.append((at, ms))
        await asyncio.sleep(max(0.0, PROBE_EVERY_S - (time.monotonic() - at)))
