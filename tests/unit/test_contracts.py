"""Contract tests: every domain model and bus event round-trips and rejects bad input clearly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.errors import InvalidEvent
from switchboard.events import (
    DETAIL_TYPES,
    EVENT_SOURCE,
    CallAnalyzed,
    CallEnded,
    CallStarted,
    CrmWritten,
    ToolInvoked,
    parse_event,
    to_entry,
)
from switchboard.models import (
    ApiKey,
    Assistant,
    CallAnalysis,
    CallRecord,
    Contract,
    PhoneNumber,
    Sentiment,
    Tenant,
    ToolDefinition,
    Turn,
    TurnTaking,
    UsageRecord,
)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TICKET_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "priority": {"enum": ["low", "medium", "high"]},
        "customer_email": {"type": "string"},
    },
    "required": ["summary"],
}


def a_tool(**overrides: Any) -> ToolDefinition:
    fields: dict[str, Any] = {
        "name": "create_support_ticket",
        "description": "Create a support ticket in our system",
        "parameters": TICKET_SCHEMA,
        "webhook_url": "https://api.example.com/tickets",
    }
    return ToolDefinition.from_wire({**fields, **overrides})


def an_assistant() -> Assistant:
    return Assistant(
        assistant_id="as_1",
        tenant_id="tn_1",
        name="Support",
        system_prompt="You are a helpful support agent.",
        tools=(a_tool(),),
        created_at=T0,
        updated_at=T0,
    )


def a_usage() -> UsageRecord:
    return UsageRecord(
        carrier="twilio",
        call_seconds=61.5,
        stt_seconds=60.0,
        llm_input_tokens=900,
        llm_output_tokens=120,
        tts_characters=480,
    )


TURNS = (
    Turn(role="assistant", text="Hello! How can I help?", start_ms=0, end_ms=1800, heard_text="Hello! How can I help?"),
    Turn(role="caller", text="My printer is on fire.", start_ms=2100, end_ms=3900),
    Turn(
        role="assistant",
        text="Oh no, let me open a ticket right away for you.",
        start_ms=4500,
        end_ms=5200,
        interrupted=True,
        heard_text="Oh no, let me",
    ),
)

MODELS: list[Contract] = [
    Tenant(tenant_id="tn_1", name="Acme", created_at=T0),
    ApiKey(key_id="key_1", tenant_id="tn_1", prefix="sk_ab12", key_hash="a" * 64, created_at=T0),
    an_assistant(),
    PhoneNumber(number="+14155550123", tenant_id="tn_1", carrier="twilio", assistant_id="as_1", created_at=T0),
    a_tool(),
    CallRecord(
        call_id="ca_1",
        tenant_id="tn_1",
        assistant_id="as_1",
        carrier="twilio",
        carrier_call_id="CA123",
        from_number="+14155550100",
        to_number="+14155550123",
        started_at=T0,
        transcript=TURNS,
        usage=a_usage(),
    ),
    TURNS[2],
    a_usage(),
]

ANALYSIS = CallAnalysis(
    summary="Caller reported a fire.",
    sentiment=Sentiment(label="negative", score=-0.6),
    disposition="follow_up",
    success=True,
)
COMMON = {"tenant_id": "tn_1", "call_id": "ca_1", "occurred_at": T0}
EVENTS = [
    CallStarted(
        **COMMON,
        assistant_id="as_1",
        carrier="twilio",
        direction="inbound",
        from_number="+14155550100",
        to_number="+14155550123",
    ),
    CallEnded(
        **COMMON,
        reported_by="media_worker",
        assistant_id="as_1",
        carrier="twilio",
        started_at=T0,
        ended_at=T0,
        end_reason="caller_hung_up",
        transcript=TURNS,
        dtmf=("1", "#"),
        usage=a_usage(),
    ),
    ToolInvoked(**COMMON, tool_name="create_support_ticket", tool_call_id="call_1", outcome="ok", latency_ms=120.5),
    CallAnalyzed(**COMMON, analysis=ANALYSIS),
    CrmWritten(**COMMON, crm="hubspot", record_id="9001", contact_id="51"),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_every_model_round_trips_through_its_wire_form(model: Contract) -> None:
    wire = model.to_wire()
    again = type(model).from_wire(wire)
    assert again == model
    assert type(model).from_wire(model.model_dump_json()) == model


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_every_event_round_trips_through_an_eventbridge_entry(event: Any) -> None:
    entry = to_entry(event, bus_name="bus")
    assert entry["Source"] == EVENT_SOURCE
    assert entry["DetailType"] == event.type
    parsed = parse_event(entry["Detail"])
    assert parsed == event
    assert type(parsed) is type(event)
    assert parsed.version == 1


def test_detail_types_cover_the_required_events() -> None:
    assert set(DETAIL_TYPES) >= {"call.started", "call.ended", "tool.invoked", "call.analyzed", "crm.written"}


def test_unknown_event_type_is_rejected_with_the_allowed_tags() -> None:
    with pytest.raises(InvalidEvent, match="call.started"):
        parse_event({"type": "call.exploded", "version": 1, "tenant_id": "t", "call_id": "c"})


def test_event_with_a_future_version_is_rejected() -> None:
    detail = EVENTS[0].to_wire() | {"version": 2}
    with pytest.raises(InvalidEvent, match="version"):
        parse_event(detail)


def test_event_missing_a_field_names_the_field() -> None:
    detail = EVENTS[2].to_wire()
    del detail["outcome"]
    with pytest.raises(InvalidEvent, match=r"tool\.invoked\.outcome: Field required"):
        parse_event(detail)


def test_strict_models_do_not_coerce_python_input() -> None:
    with pytest.raises(ValidationError, match="max_concurrent_calls"):
        Tenant(tenant_id="tn_1", name="Acme", max_concurrent_calls="10")  # type: ignore[arg-type]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Tenant.from_wire({"tenant_id": "tn_1", "name": "Acme", "plan": "gold"})


@pytest.mark.parametrize("number", ["4155550123", "+0155550123", "+1 415 555 0123", "+1415555012345678"])
def test_phone_numbers_must_be_e164(number: str) -> None:
    with pytest.raises(ValidationError, match="E.164"):
        PhoneNumber(number=number, tenant_id="tn_1", carrier="twilio")


def test_tool_parameters_must_be_a_valid_json_schema() -> None:
    with pytest.raises(ValidationError, match=r"not a valid JSON Schema at properties/priority"):
        a_tool(parameters={"type": "object", "properties": {"priority": {"type": "colour"}}})


def test_tool_parameters_must_describe_an_object() -> None:
    with pytest.raises(ValidationError, match='"type": "object"'):
        a_tool(parameters={"type": "string"})


def test_tools_may_not_shadow_built_ins() -> None:
    with pytest.raises(ValidationError, match="built-in"):
        a_tool(name="end_call")


def test_tool_names_are_unique_within_an_assistant() -> None:
    with pytest.raises(ValidationError, match="repeated: create_support_ticket"):
        Assistant(assistant_id="as_1", tenant_id="tn_1", name="x", system_prompt="p", tools=(a_tool(), a_tool()))


def test_tool_renders_as_an_openai_function() -> None:
    spec = a_tool().openai_spec()
    assert spec == {
        "type": "function",
        "function": {
            "name": "create_support_ticket",
            "description": "Create a support ticket in our system",
            "parameters": TICKET_SCHEMA,
        },
    }


def test_idle_hangup_must_follow_the_idle_prompt() -> None:
    with pytest.raises(ValidationError, match="idle_hangup_after_s"):
        TurnTaking(idle_prompt_after_s=10.0, idle_hangup_after_s=5.0)


def test_a_system_prompt_alone_makes_a_complete_assistant() -> None:
    assistant = Assistant.from_wire(
        {"assistant_id": "as_2", "tenant_id": "tn_1", "name": "Min", "system_prompt": "Be brief."}
    )
    assert (assistant.stt.provider, assistant.stt.model) == ("deepgram", "nova-3")
    assert (assistant.llm.provider, assistant.llm.model) == ("openai", "gpt-4o-mini")
    assert (assistant.tts.provider, assistant.tts.model) == ("cartesia", "sonic-3")
    assert assistant.analysis.dispositions[0] == "resolved"


def test_wire_form_accepts_dynamodb_decimals() -> None:
    from decimal import Decimal

    record = Tenant.from_wire({"tenant_id": "tn_1", "name": "Acme", "max_concurrent_calls": Decimal("25")})
    assert record.max_concurrent_calls == 25
