"""What each CRM record says, built purely from a finished call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard.crm.base import CrmCall
from switchboard.crm.hubspot import HUBSPOT_DEFAULT_OUTCOMES, call_properties
from switchboard.crm.phone import lookup_variants
from switchboard.crm.pipedrive import activity_body
from switchboard.crm.salesforce import soql_quote, sosl_phone_search, task_fields
from switchboard.models import CallAnalysis, Sentiment

T0 = datetime(2026, 11, 3, 15, 4, 5, tzinfo=UTC)


def a_call(**overrides: object) -> CrmCall:
    values: dict[str, object] = {
        "call_id": "ca_1", "tenant_id": "tn_1", "direction": "inbound", "caller_number": "+14155550123",
        "from_number": "+14155550123", "to_number": "+14155550999", "started_at": T0,
        "ended_at": T0 + timedelta(seconds=125), "end_reason": "caller_hung_up",
        "analysis": CallAnalysis(summary="Leak reported.", sentiment=Sentiment(label="negative", score=-0.4),
                                 disposition="voicemail", success=False),
        "transcript_text": "Caller: my sink leaks", "recording_url": "https://rec.example/ca_1",
    }
    values.update(overrides)
    return CrmCall(**values)  # type: ignore[arg-type]


def test_phone_variants_start_with_e164_then_national_spellings() -> None:
    assert lookup_variants("+14155550123")[:3] == ["+14155550123", "4155550123", "(415) 555-0123"]
    assert lookup_variants("+442079460018")[:3] == ["+442079460018", "2079460018", "020 7946 0018"]


def test_hubspot_properties() -> None:
    props = call_properties(a_call(), call_id_property="switchboard_call_id")
    assert props["hs_call_duration"] == "125000"  # milliseconds
    assert props["hs_call_direction"] == "INBOUND"
    assert props["hs_call_status"] == "COMPLETED"
    assert props["hs_call_disposition"] == HUBSPOT_DEFAULT_OUTCOMES["left_voicemail"]
    assert props["hs_call_recording_url"] == "https://rec.example/ca_1"
    assert props["switchboard_call_id"] == "ca_1"
    assert props["hs_call_body"].startswith("Leak reported.")  # summary first...
    assert props["hs_call_body"].endswith("Caller: my sink leaks")  # ...transcript last
    assert props["hs_timestamp"] == "2026-11-03T15:04:05+00:00"


def test_hubspot_disposition_map_overrides_the_default_guid() -> None:
    props = call_properties(a_call(disposition_map={"voicemail": "custom-guid"}), call_id_property="cid")
    assert props["hs_call_disposition"] == "custom-guid"


def test_salesforce_task_fields() -> None:
    fields = task_fields(a_call(direction="outbound"), who_id="003X", sentiment_field="Sentiment__c")
    assert fields["TaskSubtype"] == "Call"
    assert fields["Status"] == "Completed"
    assert fields["CallType"] == "Outbound"
    assert fields["CallDurationInSeconds"] == 125
    assert fields["CallObject"] == "ca_1"
    assert fields["ActivityDate"] == "2026-11-03"
    assert fields["Sentiment__c"] == "negative"
    assert fields["WhoId"] == "003X"


def test_sosl_escapes_reserved_characters_and_soql_quotes() -> None:
    sosl = sosl_phone_search("+14155550123")
    assert sosl.startswith('FIND {"\\+14155550123" OR "4155550123" OR "\\(415\\) 555\\-0123"}')
    assert sosl.endswith("IN PHONE FIELDS RETURNING Contact(Id), Lead(Id)")
    assert soql_quote("a'b\\c") == "'a\\'b\\\\c'"


def test_pipedrive_activity_rounds_duration_up_to_minutes_and_carries_the_marker() -> None:
    body = activity_body(a_call(), person_id=7)
    assert body["duration"] == "00:03"  # 125 s -> 3 started minutes
    assert (body["type"], body["done"], body["person_id"]) == ("call", 1, 7)
    assert "[switchboard-call-id: ca_1]" in body["note"]
    assert body["due_date"] == "2026-11-03"
    assert body["due_time"] == "15:04"
