"""The issue's targets, checked against one run's summary."""

from __future__ import annotations

from typing import Any

OVERHEAD_P50_1_CALL_MS = 25.0
OVERHEAD_P95_MS = 60.0
P99_WITHIN_P50_MS = 150.0
CPU_S_PER_CALL_MINUTE = 0.3
BARGE_CLEAR_AFTER_STT_MS = 50.0
RSS_PER_CALL_MB = 5.0


MAX_PROJECTED_RSS_MB = 6000.0  # the machine is shared (24 GiB): never let one agent approach it


def saturation(s: dict[str, Any], *, next_calls: int | None = None) -> str | None:
    """Why a higher level would only measure a process that cannot keep up, or would take too much
    of the shared machine's memory (or None)."""
    if next_calls is not None and s["rss_per_call_mb"] is not None:
        projected = s["rss_idle_mb"] + s["rss_per_call_mb"] * next_calls
        if projected > MAX_PROJECTED_RSS_MB:
            return f"{next_calls} calls would need about {projected:.0f} MB of RSS"
    if s["cpu_cores_busy"] is not None and s["cpu_cores_busy"] >= 0.9:
        return f"its event loop used {s['cpu_cores_busy']} of its one core"
    if s["failed_calls"] > 0.2 * s["calls"]:
        return f"{s['failed_calls']} of {s['calls']} calls failed"
    return None


def broken(s: dict[str, Any]) -> list[str]:
    """Why this run misses the capacity targets (p95 overhead, stalls, outbound gaps, failures)."""
    reasons = []
    if s["failed_calls"]:
        reasons.append(f"{s['failed_calls']} calls failed")
    if s["overhead_p95_ms"] is None or s["overhead_p95_ms"] > OVERHEAD_P95_MS:
        reasons.append(f"p95 overhead {s['overhead_p95_ms']} ms > {OVERHEAD_P95_MS:.0f}")
    p50, p99 = s["v2v_p50_ms"], s["v2v_p99_ms"]
    if p50 is not None and p99 is not None and p99 - p50 > P99_WITHIN_P50_MS:
        reasons.append(f"p99 {p99} ms is more than {P99_WITHIN_P50_MS:.0f} ms over p50 {p50}")
    if s["stalled_turns"]:
        reasons.append(f"{s['stalled_turns']} stalled turns")
    if s["pacing_gaps_over_60ms"]:
        reasons.append(f"{s['pacing_gaps_over_60ms']} outbound gaps > 60 ms")
    return reasons
