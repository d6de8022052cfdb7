"""Call expiry and status rules (pure functions of switchboard.store.calls)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from switchboard.models import Assistant, Retention, Tenant
from switchboard.store.calls import expiry_epoch, retention_days, sort_key_time, status_for

STARTED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_expiry_is_retention_days_after_the_start() -> None:
    assert expiry_epoch(STARTED, 30) == int(STARTED.timestamp()) + 30 * 86_400


def test_expiry_does_not_depend_on_the_timezone_the_start_is_written_in() -> None:
    same_moment = STARTED.astimezone(timezone(timedelta(hours=-8)))
    assert expiry_epoch(same_moment, 7) == expiry_epoch(STARTED, 7)


@pytest.mark.parametrize("days", [0, -1])
def test_expiry_rejects_non_positive_retention(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        expiry_epoch(STARTED, days)


def test_expiry_rejects_naive_timestamps() -> None:
    with pytest.raises(ValueError, match="timezone"):
        expiry_epoch(datetime(2026, 3, 1), 1)


def test_assistant_retention_overrides_the_tenant() -> None:
    tenant = Tenant(tenant_id="t1", name="T", retention_days=30)
    assistant = Assistant(
        assistant_id="a1", tenant_id="t1", name="A", system_prompt="p", retention=Retention(days=3)
    )
    assert retention_days(tenant, assistant) == 3


def test_tenant_retention_applies_without_an_override() -> None:
    tenant = Tenant(tenant_id="t1", name="T", retention_days=45)
    assistant = Assistant(assistant_id="a1", tenant_id="t1", name="A", system_prompt="p")
    assert retention_days(tenant, assistant) == 45
    assert retention_days(tenant, None) == 45


@pytest.mark.parametrize(
    ("reason", "status"),
    [("caller_hung_up", "completed"), ("busy", "busy"), ("no_answer", "no_answer"), ("failed", "failed")],
)
def test_end_reason_maps_to_final_status(reason: str, status: str) -> None:
    assert status_for(reason) == status  # type: ignore[arg-type]


def test_sort_key_times_order_like_the_moments_they_name() -> None:
    earlier = STARTED
    later = STARTED + timedelta(microseconds=1)
    other_zone = (STARTED + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-5)))
    assert sort_key_time(earlier) < sort_key_time(later) < sort_key_time(other_zone)
