"""Per-turn latency from the core's spans: voice-to-voice and each stage, and the call's summary.

The core emits ``RecordSpan(turn_index, name, at_ms)`` milestones (see ``core.effects.Span``).
A turn's figures are known once its first reply audio frame went out; :meth:`SpanBook.record`
returns them then, so the runtime logs and emits them right away. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from media_worker.core import Span
from switchboard.models import LatencySummary

VOICE_TO_VOICE = "voice_to_voice"

STAGES: tuple[tuple[str, str, str], ...] = (
    # (stage, from span, to span)
    ("endpointing", Span.CALLER_STOPPED, Span.TRANSCRIPT_FINAL),
    ("llm_request", Span.TRANSCRIPT_FINAL, Span.LLM_REQUEST_SENT),
    ("llm_first_token", Span.LLM_REQUEST_SENT, Span.LLM_FIRST_TOKEN),
    ("first_clause", Span.LLM_FIRST_TOKEN, Span.FIRST_CLAUSE_TO_TTS),
    ("tts_first_audio", Span.FIRST_CLAUSE_TO_TTS, Span.FIRST_TTS_AUDIO),
    ("first_frame_sent", Span.FIRST_TTS_AUDIO, Span.FIRST_AUDIO_SENT),
)
"""Each stage of a turn, as the interval between two spans."""


@dataclass(frozen=True, slots=True)
class TurnLatency:
    turn_index: int
    voice_to_voice_ms: float
    stages_ms: dict[str, float]


@dataclass
class SpanBook:
    """Collects spans per turn; completed turns keep only their figures."""

    _open: dict[int, dict[str, float]] = field(default_factory=dict)
    turns: list[TurnLatency] = field(default_factory=list)

    def record(self, turn_index: int, name: str, at_ms: float) -> TurnLatency | None:
        """Add a span; return the turn's figures when this span completes a caller turn."""
        spans = self._open.setdefault(turn_index, {})
        spans.setdefault(name, at_ms)
        for old in [t for t in self._open if t < turn_index - 1]:
            del self._open[old]  # turns the core can no longer record into
        if name != Span.FIRST_AUDIO_SENT or Span.CALLER_STOPPED not in spans:
            return None
        stages = {
            stage: max(0.0, spans[end] - spans[start])
            for stage, start, end in STAGES
            if start in spans and end in spans
        }
        turn = TurnLatency(turn_index, max(0.0, at_ms - spans[Span.CALLER_STOPPED]), stages)
        self.turns.append(turn)
        del self._open[turn_index]
        return turn

    def summary(self) -> LatencySummary:
        if not self.turns:
            return LatencySummary()
        v2v = [t.voice_to_voice_ms for t in self.turns]
        stage_p50 = {
            stage: round(percentile([t.stages_ms[stage] for t in self.turns if stage in t.stages_ms], 50), 1)
            for stage, _, _ in STAGES
            if any(stage in t.stages_ms for t in self.turns)
        }
        return LatencySummary(
            turns=len(self.turns),
            voice_to_voice_p50_ms=round(percentile(v2v, 50), 1),
            voice_to_voice_p95_ms=round(percentile(v2v, 95), 1),
            voice_to_voice_max_ms=round(max(v2v), 1),
            stage_p50_ms=stage_p50,
        )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
