"""Latency budgets the fakes inject (the article's figures by default; zero for fast tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyProfile:
    """Provider latencies a fake imposes on top of the audio/text it is given.

    ``endpointing_ms`` is what a client should ask Deepgram for (the fake reads the real value
    from the query string); the rest are delays the fakes add. ``llm_tokens_per_s <= 0`` and
    ``tts_realtime_factor <= 0`` mean "as fast as the socket allows".
    """

    endpointing_ms: int = 300
    stt_final_ms: int = 300
    llm_ttft_ms: int = 350
    llm_tokens_per_s: float = 50.0
    tts_ttfb_ms: int = 150
    tts_realtime_factor: float = 4.0

    def voice_to_voice_floor_ms(self, first_clause_tokens: int) -> float:
        """The floor a perfect agent cannot beat: endpointing + STT final + TTFT + first clause + TTS TTFB."""
        clause_ms = 0.0
        if self.llm_tokens_per_s > 0 and first_clause_tokens > 1:
            clause_ms = (first_clause_tokens - 1) * 1000.0 / self.llm_tokens_per_s
        return self.endpointing_ms + self.stt_final_ms + self.llm_ttft_ms + clause_ms + self.tts_ttfb_ms


ARTICLE_BUDGET = LatencyProfile()
# Endpointing stays 300: the Deepgram fake measures it in *stream* time (audio received), so it
# costs no wall time when a test pushes audio faster than real time.
ZERO_LATENCY = LatencyProfile(
    endpointing_ms=300,
    stt_final_ms=0,
    llm_ttft_ms=0,
    llm_tokens_per_s=0.0,
    tts_ttfb_ms=0,
    tts_realtime_factor=0.0,
)
