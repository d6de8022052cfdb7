"""GDPR erasure on moto: by call id and by caller number; later searches find nothing; costs still add up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
from boto3.dynamodb.conditions import Key

from functions.post_call.pipeline import idempotency_config
from switchboard.cost_ledger import cost_totals, record_call_cost
from switchboard.errors import Conflict, NotFound
from switchboard.gdpr import (
    InvalidPhoneNumber,
    anonymous_call_id,
    call_object_prefix,
    delete_by_phone,
    delete_call,
    recording_key,
    transcript_key,
)
from switchboard.local_aws import LocalResources
from switchboard.models import (
    CallAnalysis,
    CallCost,
    CallRecord,
    CostLine,
    PhoneNumber,
    Sentiment,
    Tenant,
    Turn,
)
from switchboard.store import attach_number, create_tenant, table_resource
from switchboard.store._table import tenant_pk
from switchboard.store.calls import acquire_lease, create_call, find_carrier_call, get_call, list_calls, save_outcome

pytestmark = pytest.mark.filterwarnings("ignore:Couldn't determine the remaining time left:UserWarning")

TENANT, OTHER = "ten_g", "ten_o"
CALLER, STRANGER, OWN_NUMBER = "+14155550123", "+14155550777", "+14155550999"
T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=2)


@dataclass
class World:
    table: Any
    s3: Any
    bucket: str


@pytest.fixture
def world(aws: LocalResources) -> World:
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=aws.bucket, VersioningConfiguration={"Status": "Enabled"})  # as deployed
    table = table_resource(aws.table)
    for tenant in (TENANT, OTHER):
        create_tenant(table, Tenant(tenant_id=tenant, name=tenant))
    attach_number(table, TENANT, PhoneNumber(number=OWN_NUMBER, tenant_id=TENANT, carrier="twilio"))
    return World(table=table, s3=s3, bucket=aws.bucket)


def cost(total: float) -> CallCost:
    return CallCost(price_table_version="2026-11", total_usd=total, lines=(
        CostLine(layer="telephony", provider="twilio", model="voice", quantity=2, unit="minute", usd=total / 2),
        CostLine(layer="llm", provider="openai", model="gpt-4o-mini", quantity=1000, unit="token", usd=total / 2),
    ))


def run_post_call_steps(table: Any, tenant_id: str, call_id: str) -> None:
    """Write the post_call idempotency records the way post_call does (Powertools, same layer settings)."""
    store = DynamoDBPersistenceLayer(table_name=table.name, key_attr="pk", sort_key_attr="sk",
                                     static_pk_value=tenant_pk(tenant_id), expiry_attr="expires_at",
                                     boto3_client=boto3.client("dynamodb"))
    for step in ("analysis", "cost"):
        step_fn = idempotent_function(lambda call: {"summary": f"{call['call_id']} wants a plumber at 12 Main St"},
                                      data_keyword_argument="call", persistence_store=store,
                                      config=idempotency_config(), key_prefix=f"IDEM#{step}")
        step_fn(call={"tenant_id": tenant_id, "call_id": call_id})


def seed_call(w: World, call_id: str, *, tenant: str = TENANT, direction: str = "inbound", number: str = CALLER,
              started_at: datetime = T0, ended: bool = True, total: float = 0.5) -> CallRecord:
    inbound = direction == "inbound"
    call = CallRecord(
        call_id=call_id, tenant_id=tenant, assistant_id="as_1", carrier="twilio", carrier_call_id=f"CA{call_id}",
        direction=direction,  # type: ignore[arg-type]
        from_number=number if inbound else OWN_NUMBER, to_number=OWN_NUMBER if inbound else number,
        started_at=started_at, status="completed" if ended else "in_progress",
        ended_at=started_at + timedelta(minutes=2) if ended else None,
        end_reason="caller_hung_up" if ended else None,
    )
    create_call(w.table, call)
    if not ended:
        return call
    save_outcome(
        w.table, tenant, call_id,
        transcript=(Turn(role="caller", text=f"This is Jane, {number}", start_ms=0, end_ms=900),),
        analysis=CallAnalysis(summary="Jane wants a plumber.", sentiment=Sentiment(label="neutral", score=0.0),
                              disposition="resolved", success=True),
        cost=cost(total), recording_key=recording_key(tenant, call_id),
    )
    record_call_cost(w.table, tenant, call_id, cost(total), started_at=started_at)
    w.s3.put_object(Bucket=w.bucket, Key=recording_key(tenant, call_id), Body=b"\xff" * 1600)
    w.s3.put_object(Bucket=w.bucket, Key=transcript_key(tenant, call_id), Body=b'{"v": 1}')
    w.s3.put_object(Bucket=w.bucket, Key=transcript_key(tenant, call_id), Body=b'{"v": 2}')  # a second version
    run_post_call_steps(w.table, tenant, call_id)
    return call


def versions_under(w: World, prefix: str) -> list[str]:
    page = w.s3.list_object_versions(Bucket=w.bucket, Prefix=prefix)
    return [v["Key"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]


def idempotency_items(w: World, tenant: str) -> list[dict[str, Any]]:
    return w.table.query(KeyConditionExpression=Key("pk").eq(tenant_pk(tenant)) & Key("sk").begins_with("IDEM#"))[
        "Items"]


def day_totals(w: World, tenant: str) -> list[tuple[str, int, float]]:
    return [(t.period, t.calls, round(t.total_usd, 6))
            for t in cost_totals(w.table, tenant, since=date(2026, 11, 1), until=date(2026, 11, 30))]


def test_delete_call_removes_every_trace_of_the_call_and_keeps_anonymous_costs(world: World) -> None:
    # given a finished call with record, recording and transcript (two versions), cost line, step records, a lease
    w = world
    seed_call(w, "call_1", total=0.5)
    seed_call(w, "call_keep", number=STRANGER, total=0.25)
    acquire_lease(w.table, TENANT, "call_1", limit=5, ttl_s=3600, now=NOW.timestamp() - 10)
    totals_before = day_totals(w, TENANT)
    assert len(idempotency_items(w, TENANT)) == 4
    # when the call is deleted
    report = delete_call(w.table, w.s3, w.bucket, TENANT, "call_1", now=NOW)
    # then the report says what went
    assert report.call_ids == ["call_1"]
    assert report.to_wire()["deleted"] == {
        "call_records": 1, "transcripts": 1, "analyses": 1, "recording_objects": 1, "transcript_objects": 1,
        "other_objects": 0, "object_versions": 3, "cost_lines_anonymised": 1, "idempotency_items": 2,
        "carrier_call_items": 1, "leases": 1, "crm_activities": 0,
    }
    # and nothing of it can be found any more
    with pytest.raises(NotFound):
        get_call(w.table, TENANT, "call_1")
    assert versions_under(w, call_object_prefix(TENANT, "call_1")) == []
    assert find_carrier_call(w.table, "twilio", "CAcall_1") is None
    assert [c.call_id for c in list_calls(w.table, TENANT, number=CALLER).items] == []
    remaining = w.table.query(KeyConditionExpression=Key("pk").eq(tenant_pk(TENANT)))["Items"]
    assert not [i for i in remaining if "call_1" in str(i)]
    # and the other call is untouched, including its step records
    assert get_call(w.table, TENANT, "call_keep").transcript
    assert len(versions_under(w, call_object_prefix(TENANT, "call_keep"))) == 3
    assert len(idempotency_items(w, TENANT)) == 2
    # and the cost totals still add up, from an anonymous line
    assert day_totals(w, TENANT) == totals_before == [("2026-11-03", 2, 0.75)]
    anonymous = [i for i in remaining if str(i["sk"]).startswith("COST#") and i.get("anonymised")]
    assert [(a["call_id"], float(a["total_usd"])) for a in anonymous] == [(anonymous_call_id(TENANT, "call_1"), 0.5)]


def test_delete_by_phone_erases_every_call_of_that_caller_only(world: World) -> None:
    # given the caller's inbound calls on two days, an outbound call to them, a stranger's call,
    # another tenant's call from the same number, and a call of theirs that is still live
    w = world
    seed_call(w, "call_a", started_at=T0, total=0.5)
    seed_call(w, "call_b", started_at=T0 + timedelta(days=1), total=1.0)
    seed_call(w, "call_c", direction="outbound", started_at=T0 + timedelta(hours=3), total=0.25)
    seed_call(w, "call_s", number=STRANGER, total=2.0)
    seed_call(w, "call_o", tenant=OTHER, total=3.0)
    seed_call(w, "call_live", started_at=NOW - timedelta(minutes=5), ended=False)
    totals_before = day_totals(w, TENANT)
    # when everything about the caller's number is erased
    report = delete_by_phone(w.table, w.s3, w.bucket, TENANT, CALLER, now=NOW)
    # then the report names the three finished calls and the skipped live one
    assert sorted(report.call_ids) == ["call_a", "call_b", "call_c"]
    assert report.skipped_live_calls == ["call_live"]
    deleted = report.to_wire()["deleted"]
    assert (deleted["call_records"], deleted["recording_objects"], deleted["transcript_objects"]) == (3, 3, 3)
    assert (deleted["cost_lines_anonymised"], deleted["idempotency_items"], deleted["object_versions"]) == (3, 6, 9)
    # and a later search by the number finds only the live call; nothing in S3 under their calls
    assert [c.call_id for c in list_calls(w.table, TENANT, number=CALLER).items] == ["call_live"]
    for call_id in ("call_a", "call_b", "call_c"):
        assert versions_under(w, call_object_prefix(TENANT, call_id)) == []
        with pytest.raises(NotFound):
            get_call(w.table, TENANT, call_id)
    # and the stranger's call and the other tenant's call are untouched
    assert get_call(w.table, TENANT, "call_s").from_number == STRANGER
    assert get_call(w.table, OTHER, "call_o").from_number == CALLER
    assert len(versions_under(w, call_object_prefix(OTHER, "call_o"))) == 3
    # and the tenant's cost totals are unchanged
    assert day_totals(w, TENANT) == totals_before


def test_another_tenant_cannot_delete_a_call_it_does_not_own(world: World) -> None:
    w = world
    seed_call(w, "call_1")
    with pytest.raises(NotFound):
        delete_call(w.table, w.s3, w.bucket, OTHER, "call_1", now=NOW)
    report = delete_by_phone(w.table, w.s3, w.bucket, OTHER, CALLER, now=NOW)
    assert report.call_ids == []
    assert get_call(w.table, TENANT, "call_1").transcript
    assert len(versions_under(w, call_object_prefix(TENANT, "call_1"))) == 3


def test_live_calls_own_numbers_and_bad_numbers_are_refused(world: World) -> None:
    w = world
    seed_call(w, "call_live", started_at=NOW - timedelta(minutes=1), ended=False)
    with pytest.raises(Conflict):
        delete_call(w.table, w.s3, w.bucket, TENANT, "call_live", now=NOW)
    # a call whose end was never reported is over after the longest possible call
    assert delete_call(w.table, w.s3, w.bucket, TENANT, "call_live", now=NOW + timedelta(hours=5)).call_ids == [
        "call_live"]
    with pytest.raises(Conflict):
        delete_by_phone(w.table, w.s3, w.bucket, TENANT, OWN_NUMBER, now=NOW)
    with pytest.raises(InvalidPhoneNumber):
        delete_by_phone(w.table, w.s3, w.bucket, TENANT, "415-555-0123", now=NOW)


def test_deleting_twice_reports_not_found_and_an_interrupted_run_can_be_repeated(world: World) -> None:
    w = world
    seed_call(w, "call_1")
    # an earlier run got as far as the objects, then failed
    for key in versions_under(w, call_object_prefix(TENANT, "call_1")):
        w.s3.delete_object(Bucket=w.bucket, Key=key)
    report = delete_call(w.table, w.s3, w.bucket, TENANT, "call_1", now=NOW)
    assert report.deleted["call_records"] == 1 and report.deleted["cost_lines_anonymised"] == 1
    assert versions_under(w, call_object_prefix(TENANT, "call_1")) == []
    with pytest.raises(NotFound):
        delete_call(w.table, w.s3, w.bucket, TENANT, "call_1", now=NOW)


def test_object_prefixes_cannot_escape_the_tenant() -> None:
    assert call_object_prefix("ten_a", "call_1") == "tenants/ten_a/calls/call_1/"
    for bad in ("../x", "a/b", "..", ""):
        with pytest.raises(ValueError, match="prefix"):
            call_object_prefix("ten_a", bad)
