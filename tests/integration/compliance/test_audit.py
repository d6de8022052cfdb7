"""The audit trail on moto: append-only, ordered across months, paged, isolated per tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.audit import AUDIT_KEY_PREFIX, AuditEntry, list_audit, record
from switchboard.errors import Conflict
from switchboard.local_aws import LocalResources
from switchboard.store import InvalidCursor, table_resource

T0 = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def table(aws: LocalResources) -> Any:
    return table_resource(aws.table)


def write(table: Any, tenant: str, at: datetime, action: str = "transcript.read", **kwargs: Any) -> AuditEntry:
    values: dict[str, Any] = {"actor": "api_key:key_1", "resource": "calls/call_1/transcript",
                              "source_ip": "203.0.113.7"}
    values.update(kwargs)
    return record(table, tenant_id=tenant, action=action, at=at, **values)  # type: ignore[arg-type]


def test_an_entry_is_written_once_and_a_second_write_with_the_same_key_fails(table: Any) -> None:
    # given an entry
    first = write(table, "ten_a", T0, entry_id="00000000-0000-4000-8000-000000000001")
    # when another write uses the same time and id (the same key)
    with pytest.raises(Conflict):
        write(table, "ten_a", T0, action="deletion", entry_id=first.entry_id, actor="attacker")
    # then the original is untouched
    item = table.get_item(Key={"pk": f"{AUDIT_KEY_PREFIX}ten_a#2026-10",
                               "sk": f"2026-10-30T09:00:00.000000Z#{first.entry_id}"})["Item"]
    assert (item["action"], item["actor"]) == ("transcript.read", "api_key:key_1")


def test_entries_list_oldest_first_across_months_and_pages(table: Any) -> None:
    # given five entries over two months, written out of order
    times = [T0 + timedelta(days=d) for d in (4, 0, 2, 1, 3)]  # Oct 30 .. Nov 3
    for at in times:
        write(table, "ten_a", at, action="export", resource=f"calls/{at:%d}")
    # when listed two at a time
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=10)
    seen: list[datetime] = []
    cursor = None
    pages = 0
    while True:
        page = list_audit(table, "ten_a", since=since, until=until, limit=2, cursor=cursor)
        seen += [e.at for e in page.items]
        pages += 1
        cursor = page.cursor
        if cursor is None:
            break
    # then every entry comes back once, in time order, and the last page has no cursor
    assert seen == sorted(times)
    assert pages == 3


def test_the_window_is_since_inclusive_until_exclusive(table: Any) -> None:
    for hours in (0, 1, 2):
        write(table, "ten_a", T0 + timedelta(hours=hours))
    page = list_audit(table, "ten_a", since=T0, until=T0 + timedelta(hours=2))
    assert [e.at for e in page.items] == [T0, T0 + timedelta(hours=1)]


def test_a_tenant_cannot_list_or_page_into_another_tenants_audit(table: Any) -> None:
    # given entries of tenant A and one of tenant B
    for minutes in range(3):
        write(table, "ten_a", T0 + timedelta(minutes=minutes))
    write(table, "ten_b", T0, action="config.change", resource="assistants/as_b")
    window = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=1)}
    # then B sees only its own entry
    own = list_audit(table, "ten_b", **window)
    assert [(e.tenant_id, e.action) for e in own.items] == [("ten_b", "config.change")]
    # and A's cursor does not work for B
    a_page = list_audit(table, "ten_a", limit=1, **window)
    assert a_page.cursor is not None
    with pytest.raises(InvalidCursor):
        list_audit(table, "ten_b", cursor=a_page.cursor, **window)
    # and a tenant whose id extends A's sees nothing of A
    assert list_audit(table, "ten_a_x", **window).items == ()


def test_details_are_redacted_and_bad_input_is_refused(table: Any) -> None:
    entry = write(table, "ten_a", T0, action="deletion", resource="gdpr/phone",
                  details={"phone": "+14155550123", "calls": 3})
    assert entry.details == {"phone": "[PHONE]", "calls": 3}
    with pytest.raises(ValueError, match="audit action"):
        write(table, "ten_a", T0, action="transcript.write")
    with pytest.raises(ValueError, match="366 days"):
        list_audit(table, "ten_a", since=T0, until=T0 + timedelta(days=400))
    with pytest.raises(ValueError, match="after since"):
        list_audit(table, "ten_a", since=T0, until=T0)
