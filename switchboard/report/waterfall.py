"""The per-turn latency waterfall as inline SVG: one row per turn, one bar per stage.

Each stage's bar starts where the previous one ended (a waterfall), so a row's right edge is the
turn's total. A caller-measured voice-to-voice for the same turn is drawn as a marker line on the
row, so the network and jitter-buffer share between the worker's last span and the caller's ear
shows. Labels say where each figure comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .model import LatencyRow

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")
LABEL_W = 150
ROW_H = 34
BAR_H = 18
CHART_W = 620
MARGIN = 10


def _colors(rows: Sequence[LatencyRow]) -> dict[str, str]:
    names: list[str] = []
    for row in rows:
        names.extend(name for name, _ in row.stages if name not in names)
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def waterfall_svg(rows: Sequence[LatencyRow]) -> str:
    """An ``<svg>`` element (empty-state text if there are no rows)."""
    if not rows:
        return '<p class="muted">No latency figures for this call.</p>'
    colors = _colors(rows)
    longest = max(max(row.total_ms, row.caller_v2v_ms or 0.0) for row in rows) or 1.0
    scale = CHART_W / (longest * 1.1)
    legend_h = 24
    height = MARGIN * 2 + legend_h + ROW_H * len(rows) + 20
    width = LABEL_W + CHART_W + MARGIN * 2 + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="latency waterfall" font-family="sans-serif" font-size="12">']  # fmt: skip
    x = MARGIN
    for name, color in colors.items():
        parts.append(f'<rect x="{x}" y="{MARGIN}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="{MARGIN + 10}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    for i, row in enumerate(rows):
        y = MARGIN + legend_h + i * ROW_H
        parts.append(f'<text x="{MARGIN}" y="{y + BAR_H - 4}">{escape(row.label)}</text>')
        parts.append(f'<text x="{MARGIN}" y="{y + BAR_H + 10}" fill="#777" font-size="10">'
                     f'{escape(row.source)}</text>')  # fmt: skip
        start = 0.0
        for name, ms in row.stages:
            bar_x = LABEL_W + start * scale
            bar_w = max(1.0, ms * scale)
            parts.append(f'<rect x="{bar_x:.1f}" y="{y}" width="{bar_w:.1f}" height="{BAR_H}" '
                         f'fill="{colors[name]}"><title>{escape(name)}: {ms:.0f} ms '
                         f'(starts at {start:.0f} ms)</title></rect>')  # fmt: skip
            start += ms
        parts.append(f'<text x="{LABEL_W + start * scale + 4:.1f}" y="{y + BAR_H - 4}">{row.total_ms:.0f} ms</text>')
        if row.caller_v2v_ms is not None:
            mx = LABEL_W + row.caller_v2v_ms * scale
            parts.append(f'<line x1="{mx:.1f}" y1="{y - 3}" x2="{mx:.1f}" y2="{y + BAR_H + 3}" stroke="#000" '
                         f'stroke-width="2" stroke-dasharray="3,2"><title>caller heard the reply at '
                         f'{row.caller_v2v_ms:.0f} ms</title></line>')  # fmt: skip
    axis_y = MARGIN + legend_h + len(rows) * ROW_H + 12
    parts.append(f'<text x="{LABEL_W}" y="{axis_y}" fill="#777" font-size="10">0 ms</text>')
    parts.append(f'<text x="{LABEL_W + CHART_W}" y="{axis_y}" fill="#777" font-size="10" text-anchor="end">'
                 f'{longest * 1.1:.0f} ms</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
