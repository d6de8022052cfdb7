"""Call records and concurrency leases against moto server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from switchboard.errors import LimitExceeded, NotFound
from switchboard.models import CallRecord, Turn, UsageRecord
from switchboard.store import InvalidCursor
from switchboard.store.calls import (
    acquire_lease,
    create_call,
    expiry_epoch,
    find_carrier_call,
    get_call,
    list_calls,
    mark_ended,
    mark_in_progress,
    release_lease,
    save_outcome,
)
from switchboard.store.leases import live_lease_count

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_call(
    tenant_id: str = "ten_a",
    call_id: str = "call_1",
    *,
    sid: str | None = None,
    started_at: datetime = T0,
    assistant_id: str = "asst_1",
    from_number: str = "+14155550111",
    to_number: str = "+14155550100",
) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        tenant_id=tenant_id,
        assistant_id=assistant_id,
        carrier="twilio",
        carrier_call_id=sid or f"CA{call_id}",
        from_number=from_number,
        to_number=to_number,
        started_at=started_at,
        expires_at=expiry_epoch(started_at, 30),
    )


def items_with_prefix(table: Any, pk: str, prefix: str) -> list[dict[str, Any]]:
    return table.query(KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(prefix))["Items"]


# --- creation and idempotency ---------------------------------------------------------------


def test_a_retried_webhook_returns_the_first_call_and_stores_one_record(table: Any) -> None:
    first = create_call(table, make_call(call_id="call_1", sid="CA123"))

    retry = create_call(table, make_call(call_id="call_2", sid="CA123"))

    assert first.created and not retry.created
    assert retry.call.call_id == "call_1"
    assert [i["call_id"] for i in items_with_prefix(table, "TENANT#ten_a", "CALL#")] == ["call_1"]
    assert find_carrier_call(table, "twilio", "CA123") is not None


def test_the_carrier_call_item_expires_with_the_call(table: Any) -> None:
    call = make_call(sid="CA9")
    create_call(table, call)

    item = table.get_item(Key={"pk": "CARRIERCALL#twilio#CA9", "sk": "CALL"})["Item"]

    assert int(item["expires_at"]) == call.expires_at


def test_a_call_is_invisible_to_another_tenant(table: Any) -> None:
    create_call(table, make_call(tenant_id="ten_a", call_id="call_1"))

    with pytest.raises(NotFound):
        get_call(table, "ten_b", "call_1")
    assert get_call(table, "ten_a", "call_1").tenant_id == "ten_a"


# --- lifecycle ------------------------------------------------------------------------------


def test_the_stream_starting_moves_a_ringing_call_in_progress_once(table: Any) -> None:
    create_call(table, make_call())

    assert mark_in_progress(table, "ten_a", "call_1") is True
    assert mark_in_progress(table, "ten_a", "call_1") is False
    assert get_call(table, "ten_a", "call_1").status == "in_progress"


def test_the_first_end_report_wins(table: Any) -> None:
    create_call(table, make_call())
    ended = T0 + timedelta(minutes=2)

    first = mark_ended(
        table, "ten_a", "call_1", ended_at=ended, end_reason="caller_hung_up", reported_by="media_worker"
    )
    second = mark_ended(
        table, "ten_a", "call_1", ended_at=ended + timedelta(seconds=5), end_reason="failed",
        reported_by="status_callback",
    )

    call = get_call(table, "ten_a", "call_1")
    assert (first, second) == (True, False)
    assert (call.status, call.end_reason, call.ended_at) == ("completed", "caller_hung_up", ended)


def test_a_status_callback_cannot_end_a_call_the_worker_is_streaming(table: Any) -> None:
    create_call(table, make_call())
    mark_in_progress(table, "ten_a", "call_1")

    ended = mark_ended(
        table, "ten_a", "call_1", ended_at=T0, end_reason="caller_hung_up", reported_by="status_callback",
        only_if_not_started=True,
    )

    assert ended is False
    assert get_call(table, "ten_a", "call_1").ended_at is None


def test_ending_an_unknown_call_reports_false(table: Any) -> None:
    assert mark_ended(table, "ten_a", "nope", ended_at=T0, end_reason="failed", reported_by="media_worker") is False


def test_outcome_is_saved_on_the_record(table: Any) -> None:
    create_call(table, make_call())
    turn = Turn(role="caller", text="Hi there", start_ms=0.0, end_ms=812.5)
    usage = UsageRecord(carrier="twilio", call_seconds=61.5, llm_input_tokens=120)

    save_outcome(table, "ten_a", "call_1", transcript=(turn,), usage=usage, recording_key="rec/call_1.wav")

    call = get_call(table, "ten_a", "call_1")
    assert call.transcript == (turn,)
    assert call.usage == usage
    assert call.recording_key == "rec/call_1.wav"


def test_saving_an_outcome_for_another_tenants_call_is_not_found(table: Any) -> None:
    create_call(table, make_call(tenant_id="ten_a"))

    with pytest.raises(NotFound):
        save_outcome(table, "ten_b", "call_1", recording_key="x")
    assert get_call(table, "ten_a", "call_1").recording_key is None


# --- listing --------------------------------------------------------------------------------


@pytest.fixture
def five_calls(table: Any) -> list[CallRecord]:
    calls = [
        make_call(
            call_id=f"call_{i}",
            started_at=T0 + timedelta(minutes=i),
            assistant_id="asst_1" if i % 2 == 0 else "asst_2",
            from_number="+14155550111" if i < 3 else "+14155550222",
        )
        for i in range(5)
    ]
    for call in calls:
        create_call(table, call)
    create_call(table, make_call(tenant_id="ten_b", call_id="call_other", started_at=T0))
    return calls


def test_calls_list_newest_first_and_page_with_a_cursor(table: Any, five_calls: list[CallRecord]) -> None:
    first = list_calls(table, "ten_a", limit=2)
    second = list_calls(table, "ten_a", limit=2, cursor=first.cursor)
    third = list_calls(table, "ten_a", limit=2, cursor=second.cursor)

    ids = [c.call_id for page in (first, second, third) for c in page.items]
    assert ids == ["call_4", "call_3", "call_2", "call_1", "call_0"]
    assert third.cursor is None


def test_calls_filter_by_time_window(table: Any, five_calls: list[CallRecord]) -> None:
    page = list_calls(table, "ten_a", since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))

    assert [c.call_id for c in page.items] == ["call_2", "call_1"]


def test_calls_filter_by_number_and_assistant_across_pages(table: Any, five_calls: list[CallRecord]) -> None:
    by_number = list_calls(table, "ten_a", number="+14155550222")
    by_assistant_first = list_calls(table, "ten_a", assistant_id="asst_1", limit=2)
    by_assistant_rest = list_calls(table, "ten_a", assistant_id="asst_1", limit=2, cursor=by_assistant_first.cursor)

    assert [c.call_id for c in by_number.items] == ["call_4", "call_3"]
    assert [c.call_id for c in by_assistant_first.items + by_assistant_rest.items] == ["call_4", "call_2", "call_0"]
    assert by_assistant_rest.cursor is None


def test_a_cursor_from_another_tenant_is_rejected(table: Any, five_calls: list[CallRecord]) -> None:
    page = list_calls(table, "ten_a", limit=1)

    with pytest.raises(InvalidCursor):
        list_calls(table, "ten_b", cursor=page.cursor)


# --- concurrency leases ---------------------------------------------------------------------


def test_leases_stop_at_the_limit_and_free_a_slot_on_release(table: Any) -> None:
    assert acquire_lease(table, "ten_a", "call_1", limit=2, ttl_s=600)
    assert acquire_lease(table, "ten_a", "call_2", limit=2, ttl_s=600)
    with pytest.raises(LimitExceeded):
        acquire_lease(table, "ten_a", "call_3", limit=2, ttl_s=600)

    assert release_lease(table, "ten_a", "call_1") is True
    assert acquire_lease(table, "ten_a", "call_3", limit=2, ttl_s=600)
    assert live_lease_count(table, "ten_a") == 2


def test_a_retried_acquire_does_not_take_a_second_slot(table: Any) -> None:
    acquire_lease(table, "ten_a", "call_1", limit=2, ttl_s=600)

    again = acquire_lease(table, "ten_a", "call_1", limit=2, ttl_s=600)

    assert again is False
    assert acquire_lease(table, "ten_a", "call_2", limit=2, ttl_s=600) is True


def test_releasing_twice_frees_one_slot_only(table: Any) -> None:
    acquire_lease(table, "ten_a", "call_1", limit=1, ttl_s=600)
    acquire_lease(table, "ten_b", "call_b", limit=1, ttl_s=600)

    assert release_lease(table, "ten_a", "call_1") is True
    assert release_lease(table, "ten_a", "call_1") is False
    assert acquire_lease(table, "ten_a", "call_2", limit=1, ttl_s=600) is True
    with pytest.raises(LimitExceeded):
        acquire_lease(table, "ten_a", "call_3", limit=1, ttl_s=600)


def test_limits_are_per_tenant(table: Any) -> None:
    acquire_lease(table, "ten_a", "call_1", limit=1, ttl_s=600)

    assert acquire_lease(table, "ten_b", "call_1", limit=1, ttl_s=600) is True


def test_an_expired_lease_left_by_a_crash_no_longer_counts(table: Any) -> None:
    now = 1_800_000_000.0
    acquire_lease(table, "ten_a", "crashed", limit=1, ttl_s=60, now=now)  # never released

    acquired = acquire_lease(table, "ten_a", "call_2", limit=1, ttl_s=60, now=now + 61)

    assert acquired is True
    assert live_lease_count(table, "ten_a", now=now + 61) == 1
    rows = items_with_prefix(table, "TENANT#ten_a", "ACTIVE#")
    assert [r["call_id"] for r in rows] == ["call_2"], "the expired row is cleaned up"
    with pytest.raises(LimitExceeded):
        acquire_lease(table, "ten_a", "call_3", limit=1, ttl_s=60, now=now + 62)


def test_releasing_an_expired_lease_does_not_free_a_slot_twice(table: Any) -> None:
    now = 1_800_000_000.0
    acquire_lease(table, "ten_a", "old", limit=1, ttl_s=60, now=now)
    acquire_lease(table, "ten_a", "new", limit=1, ttl_s=600, now=now + 61)  # recount dropped "old"

    release_lease(table, "ten_a", "old", now=now + 62)

    with pytest.raises(LimitExceeded):
        acquire_lease(table, "ten_a", "third", limit=1, ttl_s=600, now=now + 63)
