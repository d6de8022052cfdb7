"""The call report: one self-contained HTML page per call (transcript, recording, latency waterfall,
tool calls, analysis, CRM writeback), written by ``make demo`` and the simulated caller."""

from .audio import mix_recording, mulaw_to_pcm16, wav_bytes
from .model import CallReport, LatencyRow, ToolCallRow
from .render import render_html, write_report
from .waterfall import waterfall_svg

__all__ = [
    "CallReport",
    "LatencyRow",
    "ToolCallRow",
    "mix_recording",
    "mulaw_to_pcm16",
    "render_html",
    "waterfall_svg",
    "wav_bytes",
    "write_report",
]
