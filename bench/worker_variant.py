"""The media worker with a proposed change applied at start-up, to measure it before it is made.

``BENCH_WORKER_VARIANT=stt40 python -m bench.worker_variant`` runs ``python -m media_worker``
unchanged except for the variant. Bench-only prototypes of fixes proposed in BENCHMARKS.md; the
worker's code is not edited here, and nothing in production imports this.

- ``cprofile``: no change; the whole run under cProfile with a CPU-time clock
  (``bench/results/profile-switchboard-cpu.pstats``).
- ``stt40``: the caller-audio lane hands the STT 40 ms of audio per WebSocket message instead of
  20 ms (Deepgram accepts any chunking), halving the per-frame sends to the STT.
- ``uvloop``: the same worker on uvloop's event loop (libuv) instead of asyncio's default one.
"""

from __future__ import annotations

import asyncio
import os

from media_worker.runtime import stt_lane

FRAME_BYTES = 160


def coalesce_stt(frames: int) -> None:
    original = stt_lane.SttLane.push
    pending: dict[int, bytes] = {}

    def push(self: stt_lane.SttLane, audio: bytes) -> None:
        joined = pending.pop(id(self), b"") + audio
        if len(joined) < FRAME_BYTES * frames and not self.closed:
            pending[id(self)] = joined
            return
        original(self, joined)

    stt_lane.SttLane.push = push  # type: ignore[method-assign]


def run_cpu_profiled() -> None:
    """The unchanged worker under cProfile with a CPU-time clock: which functions use CPU, not which
    ones a wall-clock sampler happened to catch while the process waited for a core (on a busy
    shared machine those are biased towards syscalls, where the scheduler switches tasks)."""
    import cProfile
    import time
    from pathlib import Path

    from media_worker.__main__ import main

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        asyncio.run(main())
    finally:
        profiler.disable()
        out = Path(__file__).resolve().parent / "results" / "profile-switchboard-cpu.pstats"
        profiler.dump_stats(str(out))


def use_uvloop() -> None:
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


VARIANTS = {
    "stt40": lambda: coalesce_stt(2),
    "stt60": lambda: coalesce_stt(3),
    "uvloop": use_uvloop,
    "uvloop_stt40": lambda: (use_uvloop(), coalesce_stt(2)),
}

if __name__ == "__main__":
    variant = os.environ["BENCH_WORKER_VARIANT"]
    if variant == "cprofile":
        run_cpu_profiled()
    else:
        VARIANTS[variant]()
        from media_worker.__main__ import main

        asyncio.run(main())
