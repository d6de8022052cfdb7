"""One run: N concurrent callers against one agent process, measured by the callers and /proc.

Timeline: fresh fakes and a fresh agent process; idle baseline (RSS, probe); callers start spread
over the ramp; the *steady window* runs from the last call's start + 3 s to the stop time, and CPU,
RSS and probe figures come from it; turns are counted over the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.monitor import Samples, cpu_seconds, load_average, machine_busy_s, probe_task, rss_mb, sample_task
from bench.stack import LOGS, REPO, Agent, AgentProcess, Fakes, Moto
from bench.stats import pct, summarise

CALLERS_PER_PROCESS = 50


def ramp_s(calls: int) -> float:
    return min(10.0, 0.05 * calls)


async def run_one(agent: Agent, calls: int, duration_s: float, moto: Moto, *, profile: bool = False) -> dict[str, Any]:
    variant = os.environ.get("BENCH_WORKER_VARIANT") if agent == "switchboard" else None
    tag = f"{agent}-{calls}" + (f"-{variant}" if variant else "")
    load_before = load_average()
    print(f"==> {agent}: {calls} concurrent calls, {duration_s:.0f} s (load {load_average()[0]:.2f})", flush=True)
    fakes = Fakes.start(tag)
    process: AgentProcess | None = None
    try:
        process = await AgentProcess.start(agent, fakes, moto, tag)
        samples = Samples()
        monitors = [asyncio.create_task(sample_task(process.pid, samples)),
                    asyncio.create_task(probe_task(process.port, samples))]  # fmt: skip
        await asyncio.sleep(2.0)
        idle_rss = rss_mb(process.pid)  # after start-up, with the probe running: the per-process baseline
        placed = (
            await asyncio.to_thread(moto.place_calls, calls)
            if agent == "switchboard"
            else [{"call_sid": f"CAbench{n:06d}"} for n in range(calls)]
        )
        start_at = time.monotonic() + 3.0
        stop_at = start_at + duration_s
        ramp = ramp_s(calls)
        for n, call in enumerate(placed):
            call["delay_s"] = ramp * n / max(1, calls)
            call["seed"] = n
        window = (start_at + ramp_s(calls) + 3.0, stop_at - 9.0)
        profiler = asyncio.create_task(_profiler(process.pid, tag, *window)) if profile else None
        harness = [p.pid for p in fakes.processes.values()]
        machine: dict[str, float] = {}
        accounting = asyncio.create_task(_account(window, harness, machine))
        outputs = await _run_callers(process.url, placed, start_at, stop_at, harness)
        await accounting
        if profiler is not None:
            await profiler
        for task in monitors:
            task.cancel()
        steady_s = max(window[1] - window[0], 1e-9)
        measured = {
            "agent": agent, "variant": variant, "calls": calls, "duration_s": duration_s,
            "steady_window_s": round(steady_s, 1),
            "load_average_before": load_before,
            "machine_busy_cores": round(machine["busy"] / steady_s, 2),
            "harness_cores": round(machine["harness"] / steady_s, 2),
            "idle_rss_mb": round(idle_rss, 1),
            "peak_rss_mb": round(samples.rss_max_between(*window), 1),
            "cpu_s_in_window": round(samples.cpu_between(*window), 3),
            "system_cpu_s_in_window": round(samples.cpu_between(*window, system_only=True), 3),
            "idle_cpu_s_per_s": round(samples.cpu_between(start_at - 4.5, start_at) / 4.5, 4),
            "probe_idle_ms": _idle_probe(samples, start_at),
            "probe_ms": samples.probes_between(*window),
            "caller_lag_ms": [x for o in outputs for x in o["caller_lag_ms"]],
            "calls_detail": [c for o in outputs for c in o["calls"]],
        }  # fmt: skip
    finally:
        if process is not None:
            await asyncio.to_thread(process.stop)
        measured_fakes = await asyncio.to_thread(fakes.stop)
    measured["fakes"] = measured_fakes
    measured["worker_stages_ms"] = worker_stages(LOGS / f"{agent}-{tag}.log") if agent == "switchboard" else {}
    return summarise(measured)


STAGE_METRICS = ("VoiceToVoiceMs", "EndpointingMs", "LlmRequestMs", "LlmFirstTokenMs", "FirstClauseMs",
                 "TtsFirstAudioMs", "FirstFrameSentMs")  # fmt: skip


def worker_stages(log: Path) -> dict[str, dict[str, float | None]]:
    """p50/p95 of each turn stage as the worker itself measured it (its EMF lines on stdout)."""
    values: dict[str, list[float]] = {name: [] for name in STAGE_METRICS}
    for line in log.read_text(errors="replace").splitlines():
        if '"VoiceToVoiceMs"' not in line or not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for name in STAGE_METRICS:
            if isinstance(document.get(name), int | float):
                values[name].append(float(document[name]))
    return {name: {"p50": pct(v, 50), "p95": pct(v, 95), "n": len(v)} for name, v in values.items() if v}


async def _profiler(pid: int, tag: str, start_at: float, stop_at: float) -> None:
    """py-spy over the steady window: a flame graph (SVG) and the top functions (text)."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    seconds = str(max(5, int(stop_at - start_at)))
    out = REPO / "bench" / "results" / f"profile-{tag}"
    record = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--duration", seconds,
        "--rate", "200", "--format", "raw", "--output", f"{out}.txt", "--nonblocking",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await record.wait()


def _idle_probe(samples: Samples, start_at: float) -> float:
    idle = sorted(ms for at, ms in samples.probe_ms if at < start_at)
    return round(idle[len(idle) // 2], 2) if idle else 0.0


async def _account(window: tuple[float, float], harness: list[int], out: dict[str, float]) -> None:
    """CPU-seconds over the steady window: the whole machine (every process, everyone's) and the
    bench's own fakes and callers, which share the 2 cores with the agent."""
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    busy0, own0 = machine_busy_s(), _sum_cpu(harness)
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    out["busy"], out["harness"] = machine_busy_s() - busy0, _sum_cpu(harness) - own0


def _sum_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += sum(cpu_seconds(pid))
    return total


async def _run_callers(
    url: str, calls: list[dict[str, Any]], start_at: float, stop_at: float, pids: list[int]
) -> list[dict[str, Any]]:
    groups = max(1, math.ceil(len(calls) / CALLERS_PER_PROCESS))
    processes = []
    with tempfile.TemporaryDirectory() as tmp:
        for g in range(groups):
            job = {"url": url, "calls": calls[g::groups], "start_at": start_at, "stop_at": stop_at}
            path = Path(tmp) / f"job-{g}.json"
            path.write_text(json.dumps(job))
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.load_process", str(path), cwd=REPO,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            ))  # fmt: skip
            pids.append(processes[-1].pid)
        results = await asyncio.gather(*(p.communicate() for p in processes))
    outputs = []
    for process, (out, err) in zip(processes, results, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"a caller process failed:\n{err.decode()[-3000:]}")
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))
    return outputs
