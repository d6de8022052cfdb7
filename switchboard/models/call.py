"""Calls: the record, its turns, usage and latency summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from ._base import E164, Contract, Identifier
from .phone_number import Carrier

CallStatus = Literal["ringing", "in_progress", "completed", "failed", "busy", "no_answer", "rejected"]
EndReason = Literal[
    "caller_hung_up",
    "assistant_ended",
    "idle_timeout",
    "max_duration",
    "transferred",
    "provider_error",
    "worker_draining",
    "busy",
    "failed",
    "no_answer",
    "rejected",
]
Direction = Literal["inbound", "outbound"]


class ToolCallSummary(Contract):
    tool_call_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=64)
    outcome: Literal["ok", "error", "timeout", "invalid_arguments", "blocked"]
    latency_ms: float = Field(ge=0)


class Turn(Contract):
    """One utterance. Offsets are milliseconds since the stream started."""

    role: Literal["caller", "assistant"]
    text: str
    start_ms: float = Field(ge=0)
    end_ms: float = Field(ge=0)
    interrupted: bool = False
    heard_text: str | None = Field(default=None, description="assistant turns: what the caller actually heard")
    tool_calls: tuple[ToolCallSummary, ...] = ()


class UsageRecord(Contract):
    """What a call consumed, per layer, with the providers that priced it."""

    carrier: Carrier
    call_seconds: float = Field(default=0.0, ge=0)
    stt_provider: str = "deepgram"
    stt_model: str = "nova-3"
    stt_seconds: float = Field(default=0.0, ge=0)
    llm_provider: str = "openai"
    llm_model: str = "gpt-4o-mini"
    llm_input_tokens: int = Field(default=0, ge=0)
    llm_output_tokens: int = Field(default=0, ge=0)
    tts_provider: str = "cartesia"
    tts_model: str = "sonic-3"
    tts_characters: int = Field(default=0, ge=0)


class LatencySummary(Contract):
    """Voice-to-voice and per-stage figures over a call's turns, in milliseconds."""

    turns: int = Field(default=0, ge=0)
    voice_to_voice_p50_ms: float | None = None
    voice_to_voice_p95_ms: float | None = None
    voice_to_voice_max_ms: float | None = None
    stage_p50_ms: dict[str, float] = Field(default_factory=dict)


class Sentiment(Contract):
    label: Literal["positive", "neutral", "negative"]
    score: float = Field(ge=-1.0, le=1.0)


class CallAnalysis(Contract):
    summary: str
    sentiment: Sentiment
    disposition: str = Field(min_length=1, max_length=64)
    success: bool
    structured_data: dict[str, Any] = Field(default_factory=dict)
    source: Literal["llm", "no_speech", "fallback"] = Field(
        default="llm", description="llm; a rule (no caller speech); or a neutral fallback after invalid LLM output"
    )


class CostLine(Contract):
    layer: Literal["telephony", "stt", "llm", "tts"]
    provider: str
    model: str
    quantity: float = Field(ge=0)
    unit: str
    usd: float = Field(ge=0)


class CallCost(Contract):
    price_table_version: str
    lines: tuple[CostLine, ...]
    total_usd: float = Field(ge=0)


class CallRecord(Contract):
    call_id: Identifier
    tenant_id: Identifier
    assistant_id: Identifier | None
    carrier: Carrier
    carrier_call_id: str = Field(min_length=1, max_length=128)
    direction: Direction = "inbound"
    from_number: E164 | None = Field(default=None, description="None when the caller withheld the number")
    to_number: E164
    status: CallStatus = "ringing"
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    transcript: tuple[Turn, ...] = ()
    usage: UsageRecord | None = None
    latency: LatencySummary | None = None
    analysis: CallAnalysis | None = None
    cost: CallCost | None = None
    recording_key: str | None = None
    expires_at: int | None = Field(default=None, description="epoch seconds; DynamoDB TTL")
