"""The whole post_call flow: CallEnded on the (moto) bus -> rule -> SQS -> the real handler -> fakes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fakes._crm import Fault
from fakes.openai import TextReply
from functions.post_call import handler, services
from functions.post_call.redrive import redrive
from switchboard.cost_ledger import cost_totals
from switchboard.events import CallEnded, parse_event
from switchboard.store import calls

from .conftest import TENANT, FakeLambdaContext, Stack


def detail_types(events: list[dict]) -> list[str]:
    return sorted(e["detail-type"] for e in events)


ALL_CRMS = ["hubspot", "salesforce", "gohighlevel", "pipedrive"]
CREATE_ROUTE = {"hubspot": "create_call", "salesforce": "create_task", "gohighlevel": "create_note",
                "pipedrive": "create_activity"}


@pytest.mark.parametrize("crm_name", ALL_CRMS)
def test_call_ended_is_analysed_priced_and_written_to_the_crm(stack: Stack, crm_name: str) -> None:
    # given a known contact and a call.ended on the bus
    contact_id = stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.put_on_bus(stack.call_ended())
    # when the event source delivers it to the real handler
    delivery = stack.deliver()
    # then no record failed
    assert delivery["response"] == {"batchItemFailures": []}
    # and call.analyzed then crm.written went out on the bus
    tapped = stack.tapped()
    assert detail_types(tapped) == ["call.analyzed", "crm.written"]
    written = next(e["detail"] for e in tapped if e["detail-type"] == "crm.written")
    assert (written["crm"], written["contact_id"], written["already_existed"]) == (crm_name, contact_id, False)
    # and the CRM holds one call with the summary, the recording link and the call id
    records = stack.kit.records(stack.crm)
    assert len(records) == 1
    text = repr(records[0])
    assert "Caller reported a leaking sink" in text
    assert "https://api.example.test/v1/calls/ca_post_1" in text
    assert "ca_post_1" in text
    # and the LLM was asked once, for structured output
    assert len(stack.llm.requests) == 1
    assert stack.llm.last_request.response_format["type"] == "json_schema"
    # and the call record holds analysis, transcript, usage and cost
    record = calls.get_call(stack.table, TENANT, "ca_post_1")
    assert record.analysis is not None and record.analysis.disposition == "resolved"
    assert record.status == "completed"
    assert len(record.transcript) == 3
    assert record.cost is not None
    # cost by hand: telephony 95 s -> 2 min x 0.0085 = 0.017; stt 60 s = 1 min x 0.0077 = 0.0077;
    # llm 4000 x 0.15/1M + 500 x 0.60/1M = 0.0006 + 0.0003 = 0.0009; tts 800/1000 x 0.03 = 0.024
    # total = 0.017 + 0.0077 + 0.0009 + 0.024 = 0.0496
    assert record.cost.total_usd == 0.0496
    totals = cost_totals(stack.table, TENANT, period="day", since=date(2026, 11, 3), until=date(2026, 11, 3))
    assert [(t.period, t.calls, t.total_usd) for t in totals] == [("2026-11-03", 1, 0.0496)]


def test_a_duplicate_call_ended_writes_one_record_and_asks_the_llm_once(stack: Stack) -> None:
    stack.kit.seed_contact(stack.crm, "+14155550123")
    event = stack.call_ended()
    stack.put_on_bus(event)
    stack.put_on_bus(event)  # at-least-once: the same event twice
    stack.deliver()
    stack.deliver()
    assert len(stack.kit.records(stack.crm)) == 1
    assert len(stack.llm.requests) == 1
    assert detail_types(stack.tapped()) == ["call.analyzed", "crm.written"]  # replayed steps emit nothing
    assert stack.queue_depth(stack.aws.queues["post_call"]) == 0


@pytest.mark.parametrize(
    ("crm_name", "route", "fault"),
    [
        ("hubspot", "create_call", Fault(status=500)),
        ("salesforce", "create_task", Fault(status=503)),
        ("gohighlevel", "create_note", Fault(status=502)),
        ("pipedrive", "create_activity", Fault(status=500)),
        ("hubspot", "search_contacts", Fault(status=429, retry_after="0")),
        ("pipedrive", "search_persons", Fault(status=429, retry_after="0")),
        ("hubspot", "search_contacts", Fault(hang=True)),
    ],
    ids=["hubspot-500", "salesforce-503", "gohighlevel-502", "pipedrive-500", "hubspot-429", "pipedrive-429",
         "hubspot-timeout"],
)
def test_crm_failures_retry_then_dead_letter_then_redrive_writes_exactly_one_record(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, crm_name: str, route: str, fault: Fault
) -> None:
    # given a CRM that fails every request to one endpoint
    if fault.hang:
        monkeypatch.setenv("SWITCHBOARD_CRM_TIMEOUT_S", "0.1")
        services.reset()
    stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.crm.fail(route, *[fault] * 100)
    stack.put_on_bus(stack.call_ended())
    # when the event source delivers it until SQS gives up (maxReceiveCount = 5)
    failures = 0
    while (delivery := stack.deliver()) != {}:
        assert [f["itemIdentifier"] for f in delivery["response"]["batchItemFailures"]] == [
            delivery["messages"][0]["MessageId"]
        ]
        failures += 1
    # then every delivery failed, the CRM was retried within each, and the message sits in the DLQ
    assert failures == 5
    attempts = len(stack.crm.calls_to(route))
    if route.startswith("create"):
        assert attempts == 5  # a create that may have happened is left to the redelivery, after a dedupe check
    else:
        assert attempts == 5 * 3  # the shared policy made 3 attempts within each delivery
    assert stack.queue_depth(stack.aws.dead_letter_queues["post_call"]) == 1
    assert stack.kit.records(stack.crm) == []
    # and the analysis stayed done: the LLM was asked once for all five deliveries
    assert len(stack.llm.requests) == 1
    # when the CRM recovers and the DLQ is redriven
    stack.crm.clear_faults()
    moved = redrive(stack.sqs, stack.aws.dead_letter_queues["post_call"], wait_s=0)
    assert moved == 1
    assert stack.deliver()["response"] == {"batchItemFailures": []}
    # then exactly one record, and crm.written once
    assert len(stack.kit.records(stack.crm)) == 1
    assert detail_types(stack.tapped()) == ["call.analyzed", "crm.written"]
    assert stack.queue_depth(stack.aws.dead_letter_queues["post_call"]) == 0


def test_a_create_that_timed_out_after_applying_is_found_on_redelivery(stack: Stack) -> None:
    stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.crm.fail("create_call", Fault(hang=True, apply_first=True))
    stack.put_on_bus(stack.call_ended())
    first = stack.deliver()
    assert len(first["response"]["batchItemFailures"]) == 1
    second = stack.deliver()
    assert second["response"] == {"batchItemFailures": []}
    assert len(stack.kit.records(stack.crm)) == 1
    written = [e["detail"] for e in stack.tapped() if e["detail-type"] == "crm.written"]
    assert [w["already_existed"] for w in written] == [True]


def test_withheld_number_is_analysed_but_not_written(stack: Stack) -> None:
    stack.put_on_bus(stack.call_ended(from_number=None))
    assert stack.deliver()["response"] == {"batchItemFailures": []}
    assert detail_types(stack.tapped()) == ["call.analyzed"]
    assert stack.crm.requests == []


def test_unknown_caller_is_not_written_without_create_contact(stack: Stack) -> None:
    stack.put_on_bus(stack.call_ended(from_number="+14155550777"))
    assert stack.deliver()["response"] == {"batchItemFailures": []}
    assert detail_types(stack.tapped()) == ["call.analyzed"]
    assert stack.kit.records(stack.crm) == []


def test_a_call_without_caller_speech_is_abandoned_without_the_llm(stack: Stack) -> None:
    stack.kit.seed_contact(stack.crm, "+14155550123")
    silent = (stack.call_ended().transcript[0],)
    stack.put_on_bus(stack.call_ended(transcript=silent))
    stack.deliver()
    assert stack.llm.requests == []
    analysis = calls.get_call(stack.table, TENANT, "ca_post_1").analysis
    assert analysis is not None
    assert (analysis.disposition, analysis.source) == ("abandoned", "no_speech")
    assert len(stack.kit.records(stack.crm)) == 1


def test_invalid_llm_output_is_retried_once_then_a_neutral_fallback_is_stored(stack: Stack) -> None:
    stack.llm.push(TextReply("not json"), TextReply('{"summary": "missing fields"}'))
    stack.put_on_bus(stack.call_ended())
    assert stack.deliver()["response"] == {"batchItemFailures": []}
    assert len(stack.llm.requests) == 2
    analysis = calls.get_call(stack.table, TENANT, "ca_post_1").analysis
    assert analysis is not None
    assert (analysis.source, analysis.sentiment.label, analysis.disposition) == ("fallback", "neutral", "follow_up")


def test_ledger_layers_add_up(stack: Stack) -> None:
    stack.kit.seed_contact(stack.crm, "+14155550123")
    stack.put_on_bus(stack.call_ended())
    stack.deliver()
    (total,) = cost_totals(stack.table, TENANT, period="month", since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert total.period == "2026-11"
    assert sum(Decimal(str(v)) for v in total.by_layer.values()) == Decimal("0.0496")


EVENTS = Path(__file__).parents[2] / "events"


def test_a_captured_batch_reports_only_the_invalid_record_as_failed(stack: Stack) -> None:
    # given a captured SQS batch: an invalid call.ended (unknown carrier in usage) and a valid one
    stack.kit.seed_contact(stack.crm, "+14155550123")
    event = json.loads((EVENTS / "post_call_sqs_mixed_batch.json").read_text())
    valid = parse_event(json.loads(event["Records"][1]["body"])["detail"])
    assert isinstance(valid, CallEnded)
    stack.ensure_call_record(valid)
    # when the handler runs on it
    response = handler.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    # then only the invalid record is reported, and the valid one was written
    assert response == {"batchItemFailures": [{"itemIdentifier": "22222222-2222-4222-8222-222222222222"}]}
    assert len(stack.kit.records(stack.crm)) == 1
    assert calls.get_call(stack.table, TENANT, "ca_evt_1").analysis is not None
