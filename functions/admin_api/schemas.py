"""Request and response bodies of the admin API (the OpenAPI document is generated from these).

Request models are lenient about JSON arrays where the stored contracts use tuples; the
stored contract (strict) validates the final assistant again, so nothing unchecked is saved.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from switchboard.audit import AuditEntry
from switchboard.models import (
    ApiKey,
    Assistant,
    CallRecord,
    Compliance,
    CrmTarget,
    LlmSettings,
    PhoneNumber,
    Retention,
    ToolDefinition,
    TtsSettings,
    TurnTaking,
)
from switchboard.models._base import E164, Identifier
from switchboard.models.assistant import AnalysisSettings, SttSettings
from switchboard.models.phone_number import Carrier
from switchboard.templates import TemplateName

Cursor = Annotated[str, Field(min_length=1, max_length=2048, description="`next_cursor` of the previous page")]
Limit = Annotated[int, Field(ge=1, le=100)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- tenants and keys ------------------------------------------------------------------------


class TenantCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    tenant_id: Identifier | None = Field(default=None, description="default: generated")
    max_concurrent_calls: int = Field(default=10, ge=1, le=10_000)
    retention_days: int = Field(default=30, ge=1, le=3650)


class ApiKeyCreate(_Body):
    name: str = Field(default="default", min_length=1, max_length=100)


class ApiKeyView(BaseModel):
    key_id: str
    tenant_id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        return cls(**key.model_dump(exclude={"key_hash"}))


class ApiKeyIssued(ApiKeyView):
    secret: str = Field(description="the full key; shown only in this response")


# --- assistants ------------------------------------------------------------------------------


class SttSettingsInput(SttSettings):
    model_config = ConfigDict(strict=False)


class AnalysisSettingsInput(AnalysisSettings):
    model_config = ConfigDict(strict=False)


class _AssistantFields(_Body):
    first_message: str | None = Field(default=None, max_length=1000)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    stt: SttSettingsInput | None = None
    llm: LlmSettings | None = None
    tts: TtsSettings | None = None
    turn_taking: TurnTaking | None = None
    tools: list[ToolDefinition] | None = Field(default=None, max_length=64)
    crm: CrmTarget | None = None
    compliance: Compliance | None = None
    retention: Retention | None = None
    analysis: AnalysisSettingsInput | None = None


class AssistantCreate(_AssistantFields):
    """A new assistant. With a ``template``, a name and a system prompt are enough."""

    name: str = Field(min_length=1, max_length=200)
    system_prompt: str = Field(min_length=1, max_length=32_000)
    template: TemplateName | None = Field(default=None, description="preset providers and turn-taking")


class AssistantPatch(_AssistantFields):
    """Fields to change; nested objects merge key by key (JSON merge patch without deletion)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    system_prompt: str | None = Field(default=None, min_length=1, max_length=32_000)


class AssistantPage(BaseModel):
    items: list[Assistant]
    next_cursor: str | None


class TemplateView(BaseModel):
    name: str
    fields: dict[str, object]


# --- numbers ---------------------------------------------------------------------------------


class NumberAttach(_Body):
    """Bring your own number from your Twilio or Telnyx account."""

    number: E164
    carrier: Carrier
    assistant_id: Identifier | None = None
    fallback_url: AnyHttpUrl | None = None
    configure_carrier: bool = Field(
        default=True, description="Twilio: point the number's voice webhooks at this platform"
    )


class NumberProvision(_Body):
    """Buy a new local Twilio number in an area code."""

    area_code: str = Field(pattern=r"^[2-9]\d{2}$")
    country: Literal["US"] = "US"
    assistant_id: Identifier | None = None


class NumberPatch(_Body):
    assistant_id: Identifier | None = Field(description="the assistant that answers; null: unassigned")


class NumberPage(BaseModel):
    items: list[PhoneNumber]
    next_cursor: str | None


# --- calls -----------------------------------------------------------------------------------


class CallView(CallRecord):
    recording_url: str | None = Field(default=None, description="presigned, short-lived")


class CallPage(BaseModel):
    items: list[CallRecord]
    next_cursor: str | None


class OutboundCall(_Body):
    assistant_id: Identifier
    to: E164
    from_: E164 = Field(alias="from", description="a Twilio number this tenant owns")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OutboundCallView(BaseModel):
    call_id: str
    carrier_call_id: str
    status: str


# --- credentials -----------------------------------------------------------------------------


FieldName = Annotated[str, Field(min_length=1, max_length=100)]
SecretValue = Annotated[str, Field(min_length=1, max_length=8192)]


class CredentialsPut(_Body):
    values: dict[FieldName, SecretValue] = Field(
        min_length=1, max_length=20, description='e.g. {"api_key": "..."}; write-only'
    )


class CredentialView(BaseModel):
    provider: str
    updated_at: datetime


# --- erasure, audit, costs -------------------------------------------------------------------


class PhoneErasure(_Body):
    """Erase every call in which this number was the customer (the caller inbound, the callee outbound)."""

    phone: E164
    crm: bool = Field(default=False, description="also archive the CRM activities the platform logged (HubSpot)")


class DeletionReportView(BaseModel):
    tenant_id: str
    call_ids: list[str] = Field(description="the calls erased")
    deleted: dict[str, int] = Field(description="what was removed, by kind (see docs/compliance.md)")
    crm_activities: dict[str, list[str]] = Field(description="CRM name -> ids of the archived activities")
    skipped_live_calls: list[str] = Field(description="calls still live, left alone; erase them after they end")
    crm_not_supported: list[str] = Field(
        default_factory=list, description="erased calls whose assistant's CRM has no deleter yet (activities kept)"
    )


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


class CostTotalView(BaseModel):
    period: str = Field(description="yyyy-mm-dd (day) or yyyy-mm (month), UTC")
    calls: int
    total_usd: float
    by_layer: dict[str, float]


class CostReport(BaseModel):
    period: Literal["day", "month"]
    since: date
    until: date
    currency: Literal["USD"] = "USD"
    totals: list[CostTotalView]
    total_usd: float = Field(description="the sum over every period listed")
