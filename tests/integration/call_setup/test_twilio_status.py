"""POST /twilio/status: leases are released; calls the worker never streamed still get call.ended."""

from __future__ import annotations

import pytest

from switchboard.events import CallEnded
from switchboard.store.calls import get_call, mark_in_progress
from switchboard.store.leases import live_lease_count

from .conftest import Stack, template_form


def start_call(stack: Stack, sid: str) -> str:
    params = {**template_form("call_setup_twilio_voice"), "CallSid": sid}
    assert stack.twilio("/twilio/voice", params)["statusCode"] == 200
    stack.started_events()
    return next(str(i["call_id"]) for i in stack.call_items() if i["carrier_call_id"] == sid)


def status(stack: Stack, sid: str, call_status: str = "completed", duration: str = "42", **extra: str) -> int:
    params = {**template_form("call_setup_twilio_status"), "CallSid": sid, "CallStatus": call_status, **extra}
    params["CallDuration"] = duration
    return int(stack.twilio("/twilio/status", params)["statusCode"])


def test_a_call_that_never_streamed_is_ended_and_reported_to_post_call(stack: Stack) -> None:
    call_id = start_call(stack, "CA1")

    assert status(stack, "CA1", "completed", duration="7") == 204

    (event,) = stack.post_call_events()
    assert isinstance(event, CallEnded)
    assert (event.call_id, event.tenant_id, event.reported_by) == (call_id, "ten_a", "status_callback")
    assert (event.end_reason, event.usage.call_seconds, event.transcript) == ("caller_hung_up", 7.0, ())
    call = get_call(stack.table, "ten_a", call_id)
    assert call.ended_at is not None and call.status == "completed"
    assert live_lease_count(stack.table, "ten_a") == 0


def test_a_repeated_status_callback_reports_the_call_once(stack: Stack) -> None:
    start_call(stack, "CA1")

    status(stack, "CA1")
    status(stack, "CA1")

    assert len(stack.post_call_events()) == 1


def test_a_call_the_worker_streamed_only_frees_its_slot(stack: Stack) -> None:
    call_id = start_call(stack, "CA1")
    mark_in_progress(stack.table, "ten_a", call_id)

    assert status(stack, "CA1") == 204

    assert stack.post_call_events() == []
    assert get_call(stack.table, "ten_a", call_id).ended_at is None
    assert live_lease_count(stack.table, "ten_a") == 0


@pytest.mark.parametrize(
    ("call_status", "end_reason", "final_status"),
    [("busy", "busy", "busy"), ("no-answer", "no_answer", "no_answer"), ("failed", "failed", "failed")],
)
def test_unanswered_outcomes_are_recorded(stack: Stack, call_status: str, end_reason: str, final_status: str) -> None:
    call_id = start_call(stack, "CA1")

    status(stack, "CA1", call_status, duration="0")

    (event,) = stack.post_call_events()
    assert isinstance(event, CallEnded)
    assert event.end_reason == end_reason
    assert get_call(stack.table, "ten_a", call_id).status == final_status


def test_a_freed_slot_admits_the_next_caller(stack: Stack) -> None:
    start_call(stack, "CA1")
    params = {**template_form("call_setup_twilio_voice")}
    stack.twilio("/twilio/voice", {**params, "CallSid": "CA2"})
    busy = stack.twilio("/twilio/voice", {**params, "CallSid": "CA3"})
    assert "<Hangup" in busy["body"]

    status(stack, "CA1")
    admitted = stack.twilio("/twilio/voice", {**params, "CallSid": "CA3"})

    assert "<Stream" in admitted["body"]


def test_non_terminal_and_stream_callbacks_change_nothing(stack: Stack) -> None:
    call_id = start_call(stack, "CA1")

    assert status(stack, "CA1", "in-progress") == 204
    assert status(stack, "CA1", "completed", StreamEvent="stream-stopped", StreamSid="MZ1") == 204

    assert stack.post_call_events() == []
    assert get_call(stack.table, "ten_a", call_id).ended_at is None
    assert live_lease_count(stack.table, "ten_a") == 1


def test_a_status_callback_for_an_unknown_call_is_accepted_and_ignored(stack: Stack) -> None:
    assert status(stack, "CA-never-seen") == 204
    assert stack.post_call_events() == []


def test_an_unsigned_status_callback_is_forbidden(stack: Stack) -> None:
    start_call(stack, "CA1")
    params = {**template_form("call_setup_twilio_status"), "CallSid": "CA1"}

    response = stack.twilio("/twilio/status", params, token="wrong")

    assert response["statusCode"] == 403
    assert stack.post_call_events() == []
    assert live_lease_count(stack.table, "ten_a") == 1
