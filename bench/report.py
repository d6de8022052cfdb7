"""Tables, the plot and BENCHMARKS.md from ``bench/results/*.json`` (written by ``python -m bench``)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.report_text import benchmarks_markdown
from bench.stats import FLOOR_MS

REPO = Path(__file__).resolve().parent.parent
PLOT = "overhead_cpu_vs_concurrency.png"


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))  # fmt: skip
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "kernel": platform.release(),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip(),
    }


def load_runs(results: Path) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {"switchboard": [], "pipecat": []}
    for path in sorted(results.glob("run-*.json")):
        summary = json.loads(path.read_text())["summary"]
        runs.setdefault(summary["agent"], []).append(summary)
    for items in runs.values():
        items.sort(key=lambda s: s["calls"])
    return runs


def starved(s: dict[str, Any]) -> bool:
    return bool(s["stalled_turns"] > 0.1 * max(1, s["turns"]))


def plot(runs: dict[str, list[dict[str, Any]]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"switchboard": "tab:blue", "pipecat": "tab:orange"}
    for agent, items in runs.items():
        if not items:
            continue
        calls = [s["calls"] for s in items]
        colour = colours.get(agent, "tab:gray")
        left.plot(calls, [s["overhead_p50_ms"] for s in items], "o-", color=colour, label=f"{agent} p50")
        left.plot(calls, [s["overhead_p95_ms"] for s in items], "s--", color=colour, label=f"{agent} p95")
        right.plot(calls, [s["cpu_s_per_call_minute"] for s in items], "o-", color=colour, label=agent)
        for s in items:
            if starved(s):  # stalls: the process (or the machine) could not keep up
                left.plot([s["calls"]], [s["overhead_p50_ms"]], "x", color="black", markersize=10)
                right.plot([s["calls"]], [s["cpu_s_per_call_minute"]], "x", color="black", markersize=10)
    left.plot([], [], "x", color="black", label="more than 10 % of turns stalled (> 2 s)")
    left.axhline(60, color="gray", linewidth=0.8, linestyle=":", label="target p95 60 ms")
    left.set(xscale="log", yscale="symlog", xlabel="concurrent calls per process",
             ylabel="voice-to-voice minus floor (ms)", title=f"Own overhead (floor {FLOOR_MS:.0f} ms)")  # fmt: skip
    right.axhline(0.3, color="gray", linewidth=0.8, linestyle=":", label="target 0.3")
    right.set(xscale="log", yscale="log", xlabel="concurrent calls per process",
              ylabel="agent CPU-seconds per call-minute", title="CPU per call")  # fmt: skip
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def write_report(results: Path) -> None:
    runs = load_runs(results)
    lambdas_path = results / "lambdas.json"
    lambdas = json.loads(lambdas_path.read_text()) if lambdas_path.exists() else {}
    machine_path = results / "machine.json"
    info = json.loads(machine_path.read_text()) if machine_path.exists() else machine()
    for other in sorted(results.glob("machine-*.json")):  # sweeps run for one agent at a time
        extra = json.loads(other.read_text())
        info.setdefault("other_sweeps", []).append({"file": other.name, **extra})
    if any(runs.values()):
        plot(runs, results / PLOT)
    notes_path = REPO / "bench" / "findings.md"
    notes = notes_path.read_text() if notes_path.exists() else ""
    text = benchmarks_markdown(runs, lambdas, info, notes)
    (REPO / "BENCHMARKS.md").write_text(text)
    print(f"==> wrote BENCHMARKS.md and bench/results/{PLOT}")
