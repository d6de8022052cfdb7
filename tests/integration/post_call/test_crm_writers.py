"""Each CRM writer, through the real SDK or the shared requests client, against its wire-level fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fakes._crm import Fault
from switchboard.crm import CrmError, RetryPolicy

from .crm_kit import KITS, KNOWN, STRANGER, Kit, a_call


@pytest.fixture(params=KITS, ids=lambda k: k.name)
def kit(request: pytest.FixtureRequest) -> Kit:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fake(kit: Kit) -> Iterator[Any]:
    with kit.make_fake().in_thread() as running:
        yield running


def test_known_contact_gets_one_call_record(kit: Kit, fake: Any) -> None:
    # given a contact whose phone is stored in a national spelling
    contact_id = kit.seed_contact(fake, KNOWN)
    # when the call is written
    result = kit.writer(fake).write_call(a_call())
    # then one record, attached to that contact, carrying the summary and the call id
    records = kit.records(fake)
    assert len(records) == 1
    assert (result.crm, result.contact_id, result.created_contact, result.already_existed) == (
        kit.name, contact_id, False, False)
    assert result.record_id is not None
    text = repr(records[0])
    assert "Leak reported; plumber booked." in text
    assert "ca_crm_1" in text


def test_writing_the_same_call_twice_leaves_one_record(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    writer = kit.writer(fake)
    first = writer.write_call(a_call())
    second = writer.write_call(a_call())
    assert len(kit.records(fake)) == 1
    assert second.already_existed is True
    assert second.record_id == first.record_id


def test_unknown_caller_is_created_when_configured(kit: Kit, fake: Any) -> None:
    result = kit.writer(fake, create=True).write_call(a_call(caller_number=STRANGER))
    assert result.created_contact is True
    assert kit.contacts(fake) == 1
    assert len(kit.records(fake)) == 1


def test_unknown_caller_is_skipped_otherwise(kit: Kit, fake: Any) -> None:
    result = kit.writer(fake).write_call(a_call(caller_number=STRANGER))
    assert (result.record_id, result.skipped) == (None, "no_contact")
    assert kit.records(fake) == []
    assert kit.contacts(fake) == 0


def test_withheld_number_makes_no_request(kit: Kit, fake: Any) -> None:
    result = kit.writer(fake, create=True).write_call(a_call(caller_number=None, from_number=None))
    assert result.skipped == "withheld_number"
    assert fake.requests == []


def test_429_with_retry_after_is_retried(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    fake.fail(kit.search_route, Fault(status=429, retry_after="0"), Fault(status=429, retry_after="0"))
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay_s=5.0, sleep=slept.append)
    kit.writer(fake, policy=policy).write_call(a_call())
    assert [r.status for r in fake.calls_to(kit.search_route)][:3] == [429, 429, 200]
    assert slept == [0.0, 0.0]  # Retry-After, not the 5 s backoff
    assert len(kit.records(fake)) == 1


def test_500_on_lookup_is_retried_with_backoff(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    fake.fail_times(kit.search_route, 2, status=500)
    kit.writer(fake).write_call(a_call())
    assert [r.status for r in fake.calls_to(kit.search_route)][:3] == [500, 500, 200]
    assert len(kit.records(fake)) == 1


def test_a_hung_lookup_times_out_and_is_retried(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    fake.fail(kit.search_route, Fault(hang=True))
    kit.writer(fake, timeout_s=0.3).write_call(a_call())
    assert fake.calls_to(kit.search_route)[0].fault == Fault(hang=True)
    assert len(kit.records(fake)) == 1


def test_lookup_failing_every_attempt_raises_a_retryable_error(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    fake.fail_times(kit.search_route, 10, status=503)
    with pytest.raises(CrmError) as info:
        kit.writer(fake, policy=RetryPolicy(attempts=3, base_delay_s=0.0)).write_call(a_call())
    assert info.value.retryable is True
    assert len(fake.calls_to(kit.search_route)) == 3
    assert kit.records(fake) == []


def test_create_that_timed_out_after_applying_is_not_duplicated_on_the_next_delivery(kit: Kit, fake: Any) -> None:
    # given the CRM stores the record but the response never arrives
    kit.seed_contact(fake, KNOWN)
    fake.fail(kit.create_route, Fault(hang=True, apply_first=True))
    writer = kit.writer(fake, timeout_s=0.3)
    # when the first delivery fails (not retried in-process: the create may have happened)...
    with pytest.raises(CrmError) as info:
        writer.write_call(a_call())
    assert info.value.retryable is True
    # ...and the redelivery runs the dedupe check first
    again = writer.write_call(a_call())
    # then exactly one record
    assert len(kit.records(fake)) == 1
    assert again.already_existed is True


def test_bad_credentials_are_not_retried(kit: Kit, fake: Any) -> None:
    kit.seed_contact(fake, KNOWN)
    writer = kit.writer(fake)
    fake.token = "rotated"  # the tenant's stored credentials are now stale
    with pytest.raises(CrmError) as info:
        writer.write_call(a_call())
    assert (info.value.retryable, info.value.status) == (False, 401)
    assert len(fake.requests) == 1
