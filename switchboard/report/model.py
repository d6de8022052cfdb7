"""What a call report shows, gathered from the caller, the worker's latency spans, the call record
(admin API), the tool webhook and the CRM. Plain data: the renderer never fetches anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """One turn of the waterfall: its stages in order (name, ms), and where the figures come from."""

    label: str
    stages: tuple[tuple[str, float], ...]
    source: str
    """e.g. ``worker spans`` or ``caller-measured``: shown next to the bar, never mixed silently"""
    caller_v2v_ms: float | None = None
    """the caller's own voice-to-voice for the same turn (end of speech -> first reply audio), if matched"""

    @property
    def total_ms(self) -> float:
        return sum(ms for _, ms in self.stages)


@dataclass(frozen=True, slots=True)
class ToolCallRow:
    name: str
    arguments: dict[str, Any]
    result: Any = None
    outcome: str = ""
    latency_ms: float | None = None


@dataclass
class CallReport:
    call_id: str
    title: str = "Switchboard call report"
    providers: str = ""
    """which STT / LLM / TTS served the call (e.g. ``whisper_local, llama_local, piper_local``)"""
    started_at: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    """the call record's turns (``role``, ``text``, ``start_ms``, ``interrupted``, ``tool_calls``)"""
    caller_script: list[str] = field(default_factory=list)
    """what the simulated caller said, line by line"""
    recording_wav: bytes | None = None
    latency: list[LatencyRow] = field(default_factory=list)
    latency_note: str = ""
    tool_calls: list[ToolCallRow] = field(default_factory=list)
    analysis: dict[str, Any] | None = None
    crm: list[dict[str, Any]] = field(default_factory=list)
    """what the CRM received, request by request (route, method, path, body, status)"""
    crm_note: str = ""
    call_record: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
