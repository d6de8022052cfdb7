"""GDPR erasure through the admin API: by call id and by phone number, optionally in HubSpot too, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from fakes.hubspot import FakeHubSpot
from switchboard.audit import list_audit
from switchboard.crm import RetryPolicy
from switchboard.crm.factory import ENV_BASE_URL
from switchboard.crm.hubspot import HubSpotWriter
from switchboard.gdpr import recording_key, transcript_key
from switchboard.local_aws import LocalResources
from switchboard.models import CallRecord, CrmTarget, PhoneNumber, Turn
from switchboard.store import attach_number, get_assistant, put_credentials, replace_assistant
from switchboard.store.calls import create_call
from tests.integration.post_call.crm_kit import a_call

from ._api import call

CALLER = "+14155550123"
OURS = "+14155550100"
NOW = datetime.now(UTC)


def seed(aws: LocalResources, table: Any, call_id: str, *, tenant_id: str = "ten_a", caller: str = CALLER,
         ended: bool = True) -> None:
    started = NOW - timedelta(hours=1) if ended else NOW - timedelta(minutes=2)
    create_call(table, CallRecord(
        call_id=call_id, tenant_id=tenant_id, assistant_id=f"asst_{tenant_id[-1]}", carrier="twilio",
        carrier_call_id=f"CA{call_id}", from_number=caller, to_number=OURS, started_at=started,
        ended_at=started + timedelta(minutes=3) if ended else None,
        transcript=(Turn(role="caller", text="It's Jane, jane@example.com", start_ms=0, end_ms=900),),
        recording_key=recording_key(tenant_id, call_id),
    ))
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws.bucket, Key=recording_key(tenant_id, call_id), Body=b"RIFF")
    s3.put_object(Bucket=aws.bucket, Key=transcript_key(tenant_id, call_id), Body=b"{}")


def objects(aws: LocalResources, tenant_id: str, call_id: str) -> list[str]:
    listed = boto3.client("s3").list_object_versions(Bucket=aws.bucket, Prefix=f"tenants/{tenant_id}/calls/{call_id}/")
    return [v["Key"] for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]


def deletions(table: Any, tenant_id: str) -> list[tuple[str, str]]:
    page = list_audit(table, tenant_id, since=NOW - timedelta(days=1), until=datetime.now(UTC) + timedelta(minutes=1))
    return [(e.actor, e.resource) for e in page.items if e.action == "deletion"]


def test_deleting_a_call_erases_it_and_reports_what_went(aws: LocalResources, table: Any,
                                                          tenants: tuple[str, str]) -> None:
    # given a finished call with a recording and a transcript object
    seed(aws, table, "call_1")
    # when the tenant deletes it
    response = call("DELETE", "/v1/calls/call_1", tenant_id="ten_a")
    # then the report counts the record, the transcript and both objects
    assert response.status == 200, response.text
    report = response.json()
    assert report["call_ids"] == ["call_1"]
    assert (report["deleted"]["call_records"], report["deleted"]["transcripts"],
            report["deleted"]["recording_objects"], report["deleted"]["transcript_objects"]) == (1, 1, 1, 1)
    assert report["crm_activities"] == {} and report["crm_not_supported"] == []
    # and the call is gone from the API and from S3, and the erasure is in the audit trail
    assert call("GET", "/v1/calls/call_1", tenant_id="ten_a").status == 404
    assert objects(aws, "ten_a", "call_1") == []
    assert deletions(table, "ten_a") == [("api_key:key_test", "calls/call_1")]


def test_a_live_call_cannot_be_deleted_and_an_unknown_one_is_404(aws: LocalResources, table: Any,
                                                                tenants: tuple[str, str]) -> None:
    seed(aws, table, "call_live", ended=False)

    live = call("DELETE", "/v1/calls/call_live", tenant_id="ten_a")
    unknown = call("DELETE", "/v1/calls/call_nope", tenant_id="ten_a")

    assert live.status == 409 and live.content_type == "application/problem+json"
    assert len(objects(aws, "ten_a", "call_live")) == 2
    assert unknown.status == 404 and unknown.content_type == "application/problem+json"
    assert deletions(table, "ten_a") == [("api_key:key_test", "calls/call_live")]  # the attempt, not the 404


def test_erasing_a_phone_number_removes_its_calls_only(aws: LocalResources, table: Any,
                                                       tenants: tuple[str, str]) -> None:
    # given two calls from the caller, one from a stranger, and tenant B's call from the same number
    seed(aws, table, "call_1")
    seed(aws, table, "call_2")
    seed(aws, table, "call_s", caller="+14155550777")
    seed(aws, table, "call_b", tenant_id="ten_b")
    # when tenant A erases the caller's number
    response = call("POST", "/v1/gdpr/deletions", tenant_id="ten_a", body={"phone": CALLER})
    # then both of A's calls with that number went, and nothing else
    assert response.status == 200, response.text
    assert sorted(response.json()["call_ids"]) == ["call_1", "call_2"]
    listed = call("GET", "/v1/calls", tenant_id="ten_a", query={"number": CALLER}).json()
    assert listed["items"] == []
    assert call("GET", "/v1/calls/call_s", tenant_id="ten_a").status == 200
    assert len(objects(aws, "ten_b", "call_b")) == 2
    # and the audit entry does not keep the number it erased
    assert deletions(table, "ten_a") == [("api_key:key_test", "calls?phone")]
    tenant_a_items = [item for item in table.scan(ConsistentRead=True)["Items"] if "ten_b" not in str(item)]
    assert CALLER not in str(tenant_a_items)


def test_the_tenants_own_number_and_a_malformed_one_are_refused(table: Any, tenants: tuple[str, str]) -> None:
    attach_number(table, "ten_a", PhoneNumber(number=OURS, tenant_id="ten_a", carrier="twilio"))

    own = call("POST", "/v1/gdpr/deletions", tenant_id="ten_a", body={"phone": OURS})
    malformed = call("POST", "/v1/gdpr/deletions", tenant_id="ten_a", body={"phone": "0415 555 0123"})

    assert own.status == 409 and own.content_type == "application/problem+json"
    assert malformed.status == 422 and malformed.content_type == "application/problem+json"


@pytest.fixture
def hubspot(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHubSpot]:
    """A fake HubSpot the admin API reaches through ``SWITCHBOARD_HUBSPOT_URL``; asst_a writes to it."""
    with FakeHubSpot().in_thread() as fake:
        fake.add_contact(firstname="Jane", phone=CALLER)
        monkeypatch.setenv(ENV_BASE_URL["hubspot"], fake.http_url)
        monkeypatch.setenv("SWITCHBOARD_CRM_BACKOFF_S", "0")
        assistant = get_assistant(table, "ten_a", "asst_a")
        replace_assistant(table, "ten_a", assistant.model_copy(update={"crm": CrmTarget(provider="hubspot")}))
        put_credentials(table, boto3.client("secretsmanager"), stage="test", tenant_id="ten_a", provider="hubspot",
                        values={"access_token": fake.token})
        yield fake


def test_crm_true_archives_the_hubspot_engagement_post_call_logged(
    aws: LocalResources, table: Any, tenants: tuple[str, str], hubspot: FakeHubSpot
) -> None:
    # given a call post_call wrote to HubSpot, and another call's engagement
    seed(aws, table, "call_1")
    writer = HubSpotWriter(access_token=hubspot.token, host=hubspot.http_url, policy=RetryPolicy(base_delay_s=0.0))
    logged = writer.write_call(a_call(call_id="call_1", caller_number=CALLER))
    kept = writer.write_call(a_call(call_id="call_other", caller_number=CALLER))
    # when the call is deleted with crm=true
    response = call("DELETE", "/v1/calls/call_1", tenant_id="ten_a", query={"crm": "true"})
    # then its engagement (only) was archived through the HubSpot API, and the report names it
    assert response.status == 200, response.text
    assert response.json()["crm_activities"] == {"hubspot": [logged.record_id]}
    assert set(hubspot.archived_calls) == {logged.record_id}
    assert writer.find_call("call_other") == kept.record_id


def test_without_crm_true_hubspot_is_not_touched(
    aws: LocalResources, table: Any, tenants: tuple[str, str], hubspot: FakeHubSpot
) -> None:
    seed(aws, table, "call_1")
    HubSpotWriter(access_token=hubspot.token, host=hubspot.http_url,
                  policy=RetryPolicy(base_delay_s=0.0)).write_call(a_call(call_id="call_1", caller_number=CALLER))
    requests_before = len(hubspot.requests)

    response = call("DELETE", "/v1/calls/call_1", tenant_id="ten_a")

    assert response.status == 200, response.text
    assert response.json()["crm_activities"] == {}
    assert len(hubspot.requests) == requests_before and hubspot.archived_calls == {}


def test_a_crm_without_a_deleter_is_reported(aws: LocalResources, table: Any, tenants: tuple[str, str]) -> None:
    assistant = get_assistant(table, "ten_a", "asst_a")
    replace_assistant(table, "ten_a", assistant.model_copy(update={"crm": CrmTarget(provider="pipedrive")}))
    seed(aws, table, "call_1")

    response = call("POST", "/v1/gdpr/deletions", tenant_id="ten_a", body={"phone": CALLER, "crm": True})

    assert response.status == 200, response.text
    assert response.json()["call_ids"] == ["call_1"]
    assert response.json()["crm_not_supported"] == ["call_1"]
