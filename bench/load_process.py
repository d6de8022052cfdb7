"""A process of simulated callers: ``python -m bench.load_process JOB.json`` -> one JSON line on stdout.

The job gives the agent's URL, one entry per call (stream token, carrier call id), when to start
(a ``time.monotonic()`` value, shared by every process on the machine), the stagger between call
starts and when to stop. The callers' own event-loop lag is sampled too, so a saturated load
generator shows up in the report instead of being mistaken for the agent's latency.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

from bench.caller import BenchCaller, CallResult, run_call
from bench.corpus import load_corpus
from switchboard.caller.caller import now_ms

LAG_EVERY_S = 0.1


async def lag_sampler_task(samples: list[float]) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(LAG_EVERY_S)
        samples.append(max(0.0, (time.monotonic() - before - LAG_EVERY_S) * 1000.0))


async def main(job: dict[str, Any]) -> dict[str, Any]:
    clips = load_corpus()
    gc.collect()
    gc.freeze()
    await asyncio.sleep(max(0.0, job["start_at"] - time.monotonic()))
    lag: list[float] = []
    sampler = asyncio.create_task(lag_sampler_task(lag))
    until_ms = job["stop_at"] * 1000.0

    async def one(call: dict[str, Any]) -> CallResult:
        await asyncio.sleep(call["delay_s"])
        caller = BenchCaller(job["url"], token=call.get("token"), call_id=call["call_sid"])
        return await run_call(caller, clips, until_ms=until_ms, seed=call["seed"])

    results = await asyncio.gather(*(one(call) for call in job["calls"]))
    sampler.cancel()
    return {"calls": [r.to_json() for r in results], "caller_lag_ms": lag, "finished_ms": now_ms()}


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    print(json.dumps(asyncio.run(main(job))))
