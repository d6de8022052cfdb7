"""Erasing the CRM activities post_call created: HubSpot (hubspot-api-client) against the fake HubSpot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from fakes._crm import Fault
from fakes.hubspot import FakeHubSpot
from switchboard.crm import CrmError, RetryPolicy
from switchboard.crm.hubspot import HubSpotWriter
from switchboard.gdpr import CrmActivityDeleter, delete_call
from switchboard.gdpr_hubspot import HubSpotActivityDeleter
from switchboard.local_aws import LocalResources
from switchboard.models import CallRecord
from switchboard.store import table_resource
from switchboard.store.calls import create_call
from tests.integration.post_call.crm_kit import KNOWN, T0, a_call

POLICY = RetryPolicy(attempts=2, base_delay_s=0.0)


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot().in_thread() as fake:
        fake.add_contact(firstname="Ada", phone=KNOWN)
        yield fake


def clients(fake: FakeHubSpot) -> tuple[HubSpotWriter, HubSpotActivityDeleter]:
    options: dict[str, Any] = {"access_token": fake.token, "host": fake.http_url, "policy": POLICY, "timeout_s": 2.0}
    return HubSpotWriter(**options), HubSpotActivityDeleter(**options)


def test_the_deleter_archives_the_calls_logged_for_that_call_id_only(hubspot: FakeHubSpot) -> None:
    # given two calls written to HubSpot by post_call's writer
    writer, deleter = clients(hubspot)
    first = writer.write_call(a_call(call_id="call_gone"))
    second = writer.write_call(a_call(call_id="call_kept"))
    # when the first call's activities are erased
    archived = deleter.delete_call_activities("call_gone")
    # then exactly its engagement was archived through the API, and search no longer finds it
    assert archived == (first.record_id,)
    assert [r.method for r in hubspot.calls_to("archive_call")] == ["DELETE"]
    assert set(hubspot.archived_calls) == {first.record_id}
    assert writer.find_call("call_gone") is None
    assert writer.find_call("call_kept") == second.record_id
    # and a repeat finds nothing more to do
    assert deleter.delete_call_activities("call_gone") == ()


def test_an_engagement_archived_meanwhile_is_not_an_error(hubspot: FakeHubSpot) -> None:
    writer, deleter = clients(hubspot)
    written = writer.write_call(a_call(call_id="call_race"))
    # the archive request reaches HubSpot but the client sees a 404 (archived by someone else first)
    hubspot.fail("archive_call", Fault(status=404, apply_first=True))
    assert deleter.delete_call_activities("call_race") == ()
    assert written.record_id in hubspot.archived_calls


def test_a_hubspot_outage_is_a_typed_retryable_error(hubspot: FakeHubSpot) -> None:
    writer, deleter = clients(hubspot)
    writer.write_call(a_call(call_id="call_down"))
    hubspot.fail_times("archive_call", 2, status=503)
    with pytest.raises(CrmError) as caught:
        deleter.delete_call_activities("call_down")
    assert caught.value.retryable and caught.value.status == 503
    assert hubspot.archived_calls == {}


def test_delete_call_reports_the_archived_crm_activities(aws: LocalResources, hubspot: FakeHubSpot) -> None:
    # given a call on moto that post_call also logged to HubSpot
    table = table_resource(aws.table)
    create_call(table, CallRecord(call_id="call_crm", tenant_id="ten_c", assistant_id="as_1", carrier="twilio",
                                  carrier_call_id="CAcrm", from_number=KNOWN, to_number="+14155550999",
                                  started_at=T0, ended_at=T0 + timedelta(minutes=1), status="completed"))
    writer, deleter = clients(hubspot)
    written = writer.write_call(a_call(call_id="call_crm", tenant_id="ten_c"))
    crm: CrmActivityDeleter = deleter
    # when the call is erased with the CRM deleter
    report = delete_call(table, boto3.client("s3"), aws.bucket, "ten_c", "call_crm", crm=crm,
                         now=T0 + timedelta(days=1))
    # then the report lists the archived HubSpot engagement
    assert report.crm_activities == {"hubspot": [written.record_id]}
    assert report.to_wire()["deleted"]["crm_activities"] == 1
    assert writer.find_call("call_crm") is None
