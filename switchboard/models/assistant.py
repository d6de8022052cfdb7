"""Assistant configuration: prompt, providers, turn-taking, tools, CRM and compliance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, Field, model_validator

from ._base import E164, Contract, Identifier, JsonScalar, utc_now
from .tool import ToolDefinition

SttProvider = Literal["deepgram", "whisper_local"]
LlmProvider = Literal["openai", "openai_compatible", "llama_local"]
TtsProvider = Literal["cartesia", "piper_local", "openai_tts"]
CrmProvider = Literal["none", "hubspot", "salesforce", "gohighlevel", "pipedrive"]

DEFAULT_DISPOSITIONS = ("resolved", "follow_up", "transferred", "voicemail", "abandoned")


class SttSettings(Contract):
    provider: SttProvider = "deepgram"
    model: str = Field(default="nova-3", min_length=1, max_length=100)
    keyterms: tuple[str, ...] = Field(default=(), max_length=100)
    options: dict[str, JsonScalar] = Field(default_factory=dict)


class LlmSettings(Contract):
    provider: LlmProvider = "openai"
    model: str = Field(default="gpt-4o-mini", min_length=1, max_length=100)
    base_url: AnyHttpUrl | None = None
    temperature: float = Field(default=0.4, ge=0.0, le=2.0)
    max_tokens: int = Field(default=300, ge=1, le=4096)
    options: dict[str, JsonScalar] = Field(default_factory=dict)


class Voice(Contract):
    id: str = Field(min_length=1, max_length=200)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)


class TtsSettings(Contract):
    provider: TtsProvider = "cartesia"
    model: str = Field(default="sonic-3", min_length=1, max_length=100)
    voice: Voice = Voice(id="a0e99841-438c-4a64-b679-ae501e7d6091")
    options: dict[str, JsonScalar] = Field(default_factory=dict)


class TurnTaking(Contract):
    """When the caller's turn ends and when the caller may interrupt."""

    endpointing_ms: int = Field(default=300, ge=10, le=5000, description="STT silence that ends an utterance")
    utterance_end_ms: int = Field(default=1000, ge=1000, le=5000, description="Deepgram UtteranceEnd gap")
    silence_fallback_ms: int = Field(default=900, ge=100, le=10_000, description="end the turn if STT says nothing")
    hold_incomplete_ms: int = Field(
        default=1200, ge=0, le=10_000, description="extra wait while the caller is mid number, email or spelling"
    )
    barge_in_min_words: int = Field(default=1, ge=0, le=10)
    barge_in_min_ms: int = Field(default=250, ge=0, le=5000)
    idle_prompt_after_s: float = Field(default=8.0, ge=1.0, le=600.0)
    idle_hangup_after_s: float = Field(default=20.0, ge=2.0, le=3600.0)
    max_duration_s: float = Field(default=1800.0, ge=10.0, le=4 * 3600.0)

    @model_validator(mode="after")
    def _ordered(self) -> TurnTaking:
        if self.idle_hangup_after_s <= self.idle_prompt_after_s:
            raise ValueError("idle_hangup_after_s must be greater than idle_prompt_after_s")
        return self


class Backoff(Contract):
    """Waits between reconnect attempts: ``min(max_ms, base_ms * multiplier**(n-1))``, with jitter."""

    base_ms: int = Field(default=200, ge=0, le=60_000)
    multiplier: float = Field(default=2.0, ge=1.0, le=10.0)
    max_ms: int = Field(default=2000, ge=0, le=120_000)
    jitter: float = Field(default=0.5, ge=0.0, le=1.0)


class BreakerSettings(Contract):
    """A provider's circuit breaker, shared by the calls of a worker: it opens after
    ``failure_threshold`` consecutive failures within ``window_s``, lets one probe through after
    ``cooldown_s``, and closes when the probe succeeds."""

    failure_threshold: int = Field(default=3, ge=1, le=1000)
    window_s: float = Field(default=60.0, gt=0.0, le=3600.0)
    cooldown_s: float = Field(default=30.0, gt=0.0, le=3600.0)


class ResilienceSettings(Contract):
    """Failover order per layer, deadlines, reconnect backoff and breaker thresholds.

    Defaults change nothing: without secondaries a call stays on its primary providers (the STT
    still reconnects and replays). Secondary STT entries are served by the worker's secondary
    Deepgram endpoints (``DEEPGRAM_SECONDARY_WS_URLS``, in order; the primary endpoint if none);
    a secondary LLM without ``base_url`` uses ``OPENAI_SECONDARY_BASE_URL`` (else the primary
    endpoint); a secondary TTS is ``openai_tts`` or another ``cartesia`` voice.
    """

    stt: tuple[SttSettings, ...] = Field(default=(), max_length=4, description="secondary STTs, in order")
    stt_reconnect_attempts: int = Field(default=3, ge=1, le=20, description="attempts per STT before the next")
    reconnect_backoff: Backoff = Backoff()
    llm_secondary: LlmSettings | None = None
    first_token_deadline_ms: int = Field(
        default=1500, ge=100, le=60_000, description="no first token from the primary LLM by then: use the secondary"
    )
    tts_secondary: TtsSettings | None = None
    breaker: BreakerSettings = BreakerSettings()


class CrmTarget(Contract):
    provider: CrmProvider = "none"
    credentials_ref: str | None = Field(
        default=None, max_length=2048, description="Secrets Manager name, never the secret"
    )
    create_contact_if_missing: bool = False
    sentiment_field: str | None = Field(default=None, max_length=100)
    disposition_map: dict[str, str] = Field(default_factory=dict, description="our disposition -> CRM value")


class Compliance(Contract):
    redaction: Literal["off", "mask", "placeholder"] = "placeholder"
    redact_analysis_inputs: bool = True
    pci_masking: bool = False
    hipaa_mode: bool = False
    record_calls: bool = True
    store_transcripts: bool = True


class Retention(Contract):
    days: int | None = Field(default=None, ge=1, le=3650, description="overrides the tenant's retention")


class AnalysisSettings(Contract):
    dispositions: tuple[str, ...] = Field(default=DEFAULT_DISPOSITIONS, min_length=1)
    success_criteria: str | None = Field(default=None, max_length=2000)
    structured_data_schema: dict[str, Any] | None = None


class Assistant(Contract):
    assistant_id: Identifier
    tenant_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    system_prompt: str = Field(min_length=1, max_length=32_000)
    first_message: str = Field(default="Hello! How can I help you today?", max_length=1000)
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    stt: SttSettings = SttSettings()
    llm: LlmSettings = LlmSettings()
    tts: TtsSettings = TtsSettings()
    turn_taking: TurnTaking = TurnTaking()
    tools: tuple[ToolDefinition, ...] = Field(default=(), max_length=64)
    transfer_destinations: tuple[E164, ...] = Field(
        default=(), max_length=20, description="numbers the built-in transfer_call may dial; empty disables it"
    )
    crm: CrmTarget = CrmTarget()
    compliance: Compliance = Compliance()
    retention: Retention = Retention()
    analysis: AnalysisSettings = AnalysisSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @model_validator(mode="after")
    def _unique_tool_names(self) -> Assistant:
        names = [tool.name for tool in self.tools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"tool names must be unique; repeated: {', '.join(dupes)}")
        return self

    def tool(self, name: str) -> ToolDefinition | None:
        return next((t for t in self.tools if t.name == name), None)
