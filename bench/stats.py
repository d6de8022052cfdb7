"""From one run's raw records to its figures (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bench.scenario import FIRST_CLAUSE_TOKENS
from fakes.latency import ARTICLE_BUDGET

FLOOR_MS = ARTICLE_BUDGET.voice_to_voice_floor_ms(FIRST_CLAUSE_TOKENS)


def pct(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    calls = run["calls_detail"]
    turns = [t for c in calls for t in c["turns"]]
    v2v = [t["voice_to_voice_ms"] for t in turns if t["voice_to_voice_ms"] is not None]
    overhead = [v - FLOOR_MS for v in v2v]
    barges = [t for t in turns if t["kind"] == "barge"]
    clear_ms = [t["barge_clear_ms"] for t in barges if t["barge_clear_ms"] is not None]
    stop_ms = [t["barge_stop_hearing_ms"] for t in barges if t["barge_stop_hearing_ms"] is not None]
    after_stt = [t["barge_clear_after_stt_ms"] for t in barges if t["barge_clear_after_stt_ms"] is not None]
    steady = run["steady_window_s"]
    n = run["calls"]
    probe = run["probe_ms"]
    idle = run["probe_idle_ms"]
    summary = {
        "agent": run["agent"],
        "variant": run.get("variant"),
        "calls": n,
        "failed_calls": sum(1 for c in calls if c["error"]),
        "errors": sorted({c["error"] for c in calls if c["error"]})[:5],
        "turns": len(turns),
        "floor_ms": FLOOR_MS,
        "v2v_p50_ms": _r(pct(v2v, 50)),
        "v2v_p95_ms": _r(pct(v2v, 95)),
        "v2v_p99_ms": _r(pct(v2v, 99)),
        "overhead_p50_ms": _r(pct(overhead, 50)),
        "overhead_p95_ms": _r(pct(overhead, 95)),
        "overhead_p99_ms": _r(pct(overhead, 99)),
        "talk_over_turns": sum(1 for t in turns if t["talk_over"]),
        "comma_turns": sum(1 for t in turns if t["kind"] == "comma"),
        "stalled_turns": sum(1 for t in turns if t["stalled"]),
        "unanswered_turns": sum(1 for t in turns if t["voice_to_voice_ms"] is None),
        "barge_ins": len(barges),
        "barge_cleared": len(clear_ms),
        "barge_clear_p50_ms": _r(pct(clear_ms, 50)),
        "barge_clear_p95_ms": _r(pct(clear_ms, 95)),
        "barge_clear_after_stt_p50_ms": _r(pct(after_stt, 50)),
        "barge_clear_after_stt_p95_ms": _r(pct(after_stt, 95)),
        "barge_stop_hearing_p50_ms": _r(pct(stop_ms, 50)),
        "barge_stop_hearing_p95_ms": _r(pct(stop_ms, 95)),
        "marks_sent": sum(c["marks_received"] for c in calls),
        "marks_echoed": sum(c["marks_echoed"] for c in calls),
        "clears": sum(c["clears"] for c in calls),
        "frames_received": sum(c["frames_received"] for c in calls),
        "pacing_gaps_over_60ms": sum(c["pacing_gaps"] for c in calls),
        "underrun_ms": _r(sum(c["underrun_ms"] for c in calls)),
        "ahead_p95_ms": _r(pct([c["lead_p95_ms"] for c in calls], 95)),
        "ahead_max_ms": _r(max((c["lead_max_ms"] for c in calls), default=None)),
        "cpu_s_per_call_minute": _r(run["cpu_s_in_window"] / (n * steady / 60.0), 3),
        "cpu_cores_busy": _r(run["cpu_s_in_window"] / steady, 2),
        "machine_busy_cores": run.get("machine_busy_cores"),
        "harness_cores": run.get("harness_cores"),
        "cpu_system_share": _r(run["system_cpu_s_in_window"] / max(run["cpu_s_in_window"], 1e-9), 2),
        "cpu_s_per_call_minute_net": _r(
            max(0.0, run["cpu_s_in_window"] - run["idle_cpu_s_per_s"] * steady) / (n * steady / 60.0), 3
        ),
        "rss_idle_mb": run["idle_rss_mb"],
        "rss_peak_mb": run["peak_rss_mb"],
        "rss_per_call_mb": _r((run["peak_rss_mb"] - run["idle_rss_mb"]) / n, 2),
        "loop_lag_p99_ms": _r(None if not probe else max(0.0, pct(probe, 99) - idle), 1),  # type: ignore[operator]
        "loop_lag_p50_ms": _r(None if not probe else max(0.0, pct(probe, 50) - idle), 1),  # type: ignore[operator]
        "caller_lag_p99_ms": _r(pct(run["caller_lag_ms"], 99)),
        "steady_window_s": steady,
        "load_average_before": [round(x, 2) for x in run["load_average_before"]],
        "fakes": run.get("fakes", {}),
        "worker_stages_ms": run.get("worker_stages_ms", {}),
    }
    return {"summary": summary, "raw": run}
