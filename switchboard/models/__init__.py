"""The platform's domain contracts: strict pydantic v2 models."""

from ._base import E164, Contract, utc_now
from .assistant import (
    DEFAULT_DISPOSITIONS,
    AnalysisSettings,
    Assistant,
    Compliance,
    CrmTarget,
    LlmSettings,
    Retention,
    SttSettings,
    TtsSettings,
    TurnTaking,
    Voice,
)
from .call import (
    CallAnalysis,
    CallCost,
    CallRecord,
    CostLine,
    LatencySummary,
    Sentiment,
    ToolCallSummary,
    Turn,
    UsageRecord,
)
from .phone_number import PhoneNumber
from .tenant import ApiKey, Tenant
from .tool import BUILT_IN_TOOLS, ToolDefinition

__all__ = [
    "BUILT_IN_TOOLS",
    "DEFAULT_DISPOSITIONS",
    "E164",
    "AnalysisSettings",
    "ApiKey",
    "Assistant",
    "CallAnalysis",
    "CallCost",
    "CallRecord",
    "Compliance",
    "Contract",
    "CostLine",
    "CrmTarget",
    "LatencySummary",
    "LlmSettings",
    "PhoneNumber",
    "Retention",
    "Sentiment",
    "SttSettings",
    "Tenant",
    "ToolCallSummary",
    "ToolDefinition",
    "TtsSettings",
    "Turn",
    "TurnTaking",
    "UsageRecord",
    "Voice",
    "utc_now",
]
