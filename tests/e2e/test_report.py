"""The call report: a self-contained page (no external resources) with every section."""

from __future__ import annotations

import base64
import io
import re
import wave
from pathlib import Path

import numpy as np

from switchboard.caller.script import pcm16_to_mulaw
from switchboard.report import CallReport, LatencyRow, ToolCallRow, mix_recording, wav_bytes, write_report
from switchboard.report.waterfall import waterfall_svg


def tone_mulaw(seconds: float, amplitude: int = 8000) -> bytes:
    t = np.arange(int(seconds * 8000)) / 8000
    return pcm16_to_mulaw((amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16))


def test_the_recording_mixes_both_directions_on_one_timeline() -> None:
    # given what the caller said (at 0 ms) and heard (at 500 ms), overlapping
    samples = mix_recording([(0.0, tone_mulaw(1.0)), (500.0, tone_mulaw(1.0))])
    # then the mix spans both, and the overlap is louder than either alone
    assert len(samples) == 8000 + 4000
    assert np.abs(samples[4000:8000]).max() > np.abs(samples[:4000]).max()
    with wave.open(io.BytesIO(wav_bytes(samples))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (8000, 1, 12000)


def test_the_waterfall_has_one_bar_per_stage_and_labels_its_source() -> None:
    rows = [LatencyRow("turn 1", (("endpointing", 300.0), ("llm_first_token", 200.0)), "worker spans", 560.0),
            LatencyRow("turn 2", (("voice_to_voice", 700.0),), "caller-measured")]  # fmt: skip
    svg = waterfall_svg(rows)
    bars = re.findall(r"<rect x=\"([\d.]+)\" y=\"[\d.]+\" width=\"([\d.]+)\" height=\"18\"", svg)
    assert len(bars) == 3
    # the second stage starts where the first ends (a waterfall)
    (x1, w1), (x2, _) = (tuple(map(float, b)) for b in bars[:2])
    assert abs(x1 + w1 - x2) < 0.2
    assert "worker spans" in svg and "caller-measured" in svg and "stroke-dasharray" in svg


def test_the_page_is_self_contained_and_has_every_section(tmp_path: Path) -> None:
    report = CallReport(
        call_id="call_abc", providers="STT whisper_local (offline)",
        transcript=[{"role": "caller", "text": "My <printer> is broken", "start_ms": 1200.0,
                     "tool_calls": [{"name": "create_support_ticket", "outcome": "ok", "latency_ms": 80}]}],
        caller_script=["My printer is broken"], recording_wav=wav_bytes(np.zeros(800, dtype=np.int16)),
        latency=[LatencyRow("turn 1", (("endpointing", 300.0),), "worker spans")],
        tool_calls=[ToolCallRow("create_support_ticket", {"summary": "printer"}, {"ticket_id": "T-1001"}, "ok", 80.0)],
        analysis={"summary": "Printer ticket", "sentiment": {"label": "neutral", "score": 0}, "disposition":
                  "resolved", "success": True, "source": "fallback"},
        crm=[{"route": "create_call", "method": "POST", "path": "/crm/v3/objects/calls", "status": 201,
              "body": {"properties": {"hs_call_title": "Call"}}}],
    )  # fmt: skip
    path = write_report(report, tmp_path)
    html = path.read_text()
    assert path.name == "call-call_abc.html"
    assert "My &lt;printer&gt; is broken" in html  # transcript text is escaped
    for section in ("Recording", "Transcript", "Latency", "Tool calls", "Analysis", "CRM writeback"):
        assert f"<h2>{section}</h2>" in html
    assert "T-1001" in html and "/crm/v3/objects/calls" in html and "neutral fallback" in html
    data = re.search(r'src="data:audio/wav;base64,([^"]+)"', html)
    assert data is not None and base64.b64decode(data.group(1))[:4] == b"RIFF"
    assert not re.search(r'(src|href)="https?://', html)  # nothing fetched from elsewhere
