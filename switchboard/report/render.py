"""The call report as one self-contained HTML page (inline CSS and SVG, the recording as a data URI)."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from .model import CallReport
from .waterfall import waterfall_svg

CSS = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.muted{color:#777}.turn{margin:.35em 0}.role{display:inline-block;width:6.5em;font-weight:600}
.caller .role{color:#4e79a7}.assistant .role{color:#e15759}.tool{margin-left:6.5em;color:#59a14f}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
"""


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _transcript(report: CallReport) -> str:
    if not report.transcript:
        return '<p class="muted">The call record has no transcript.</p>'
    rows = []
    for turn in report.transcript:
        role = str(turn.get("role", ""))
        at = float(turn.get("start_ms") or 0.0) / 1000
        flag = " <span class='muted'>(interrupted)</span>" if turn.get("interrupted") else ""
        text = escape(str(turn.get("text", "")))
        rows.append(f'<div class="turn {escape(role)}"><span class="role">{escape(role)}</span>'
                    f'<span class="muted">{at:6.1f} s</span> {text}{flag}</div>')  # fmt: skip
        for tool in turn.get("tool_calls") or ():
            rows.append(f'<div class="tool">⚙ {escape(str(tool.get("name")))} → {escape(str(tool.get("outcome")))} '
                        f'({float(tool.get("latency_ms") or 0):.0f} ms)</div>')  # fmt: skip
    return "\n".join(rows)


def _recording(report: CallReport) -> str:
    if not report.recording_wav:
        return '<p class="muted">No recording.</p>'
    data = base64.b64encode(report.recording_wav).decode("ascii")
    return (f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>'
            '<p class="muted">Recorded at the caller: what it said and what it heard (after any <code>clear</code>), '
            "mixed, 8 kHz.</p>")  # fmt: skip


def _tools(report: CallReport) -> str:
    if not report.tool_calls:
        return '<p class="muted">No tool was called.</p>'
    rows = ["<table><tr><th>tool</th><th>arguments</th><th>result</th><th>outcome</th><th>latency</th></tr>"]
    for call in report.tool_calls:
        latency = "" if call.latency_ms is None else f"{call.latency_ms:.0f} ms"
        rows.append(f"<tr><td>{escape(call.name)}</td><td><pre>{_json(call.arguments)}</pre></td>"
                    f"<td><pre>{_json(call.result)}</pre></td><td>{escape(call.outcome)}</td>"
                    f"<td>{latency}</td></tr>")  # fmt: skip
    rows.append("</table>")
    return "".join(rows)


def _analysis(report: CallReport) -> str:
    analysis = report.analysis
    if not analysis:
        return '<p class="muted">No analysis stored (post-call processing has not run).</p>'
    sentiment = analysis.get("sentiment") or {}
    source = analysis.get("source", "")
    note = " (no analysis LLM was configured: the neutral fallback)" if source == "fallback" else ""
    return (f"<table><tr><th>summary</th><td>{escape(str(analysis.get('summary', '')))}</td></tr>"
            f"<tr><th>disposition</th><td>{escape(str(analysis.get('disposition', '')))}</td></tr>"
            f"<tr><th>sentiment</th><td>{escape(str(sentiment.get('label', '')))} "
            f"({escape(str(sentiment.get('score', '')))})</td></tr>"
            f"<tr><th>success</th><td>{escape(str(analysis.get('success', '')))}</td></tr>"
            f"<tr><th>source</th><td>{escape(str(source))}{note}</td></tr></table>"
            f"<pre>{_json(analysis.get('structured_data') or {})}</pre>")  # fmt: skip


def _crm(report: CallReport) -> str:
    note = f'<p class="muted">{escape(report.crm_note)}</p>' if report.crm_note else ""
    if not report.crm:
        return note + '<p class="muted">The CRM received nothing.</p>'
    rows = ["<table><tr><th>request</th><th>status</th><th>body</th></tr>"]
    for request in report.crm:
        rows.append(f"<tr><td>{escape(str(request.get('method')))} {escape(str(request.get('path')))}<br>"
                    f"<span class='muted'>{escape(str(request.get('route')))}</span></td>"
                    f"<td>{escape(str(request.get('status')))}</td>"
                    f"<td><pre>{_json(request.get('body'))}</pre></td></tr>")  # fmt: skip
    rows.append("</table>")
    return note + "".join(rows)


def render_html(report: CallReport) -> str:
    script = "".join(f"<li>{escape(line)}</li>" for line in report.caller_script)
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
    latency_note = f'<p class="muted">{escape(report.latency_note)}</p>' if report.latency_note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(report.title)} — {escape(report.call_id)}</title>
<style>{CSS}</style></head><body>
<h1>{escape(report.title)}</h1>
<p>Call <code>{escape(report.call_id)}</code> · {escape(report.started_at)} · providers: {escape(report.providers)}</p>
<h2>Recording</h2>{_recording(report)}
<h2>Transcript</h2><p class="muted">As the platform recorded it (the worker's speech recognition).</p>
{_transcript(report)}
<h2>What the caller said</h2><ol>{script}</ol>
<h2>Latency</h2>{latency_note}{waterfall_svg(report.latency)}
<h2>Tool calls</h2>{_tools(report)}
<h2>Analysis</h2>{_analysis(report)}
<h2>CRM writeback</h2>{_crm(report)}
<h2>Notes</h2><ul>{notes}</ul>
<details><summary>Call record (admin API)</summary><pre>{_json(report.call_record)}</pre></details>
</body></html>
"""


def write_report(report: CallReport, directory: Path) -> Path:
    """Write ``call-<id>.html`` into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"call-{report.call_id}.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path
