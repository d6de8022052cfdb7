"""GDPR erasure: delete everything the platform holds about a call, or about every call with a caller's number.

Where a call's personal data lives, and what :func:`delete_call` does with it:

=======================  =====================================================  =========================
data                     where                                                  done
=======================  =====================================================  =========================
recording, transcript    S3 ``tenants/{tenant}/calls/{call}/...``               every version deleted
(and any other object)   (:func:`call_object_prefix`; plus ``recording_key``)
call record              ``TENANT#{t}`` / ``CALL#{call}`` (transcript,          deleted
                         analysis, numbers, cost)
carrier-call item        ``CARRIERCALL#{carrier}#{sid}`` / ``CALL``             deleted
post_call step results   ``TENANT#{t}`` / ``IDEM#{step}#{md5}`` (the analysis)  deleted
active-call lease        ``TENANT#{t}`` / ``ACTIVE#{call}``                     released
cost ledger line         ``TENANT#{t}`` / ``COST#{day}#{call}``                 anonymised: amounts kept,
                                                                                call id -> ``anon_<hash>``
CRM activities           the assistant's CRM (calls logged by post_call)        archived, if a
                                                                                :class:`CrmActivityDeleter`
                                                                                is given
audit entries            ``AUDIT#...``                                          kept (append-only; they
                                                                                name ids, never content)
=======================  =====================================================  =========================

Dependent data goes first and the call record last, so a deletion interrupted half way can be
run again (the record still names everything). A call that is still live cannot be deleted
(:class:`Conflict`); a call whose end was never reported counts as over after
:data:`LIVE_CALL_LIMIT`.

Outside these stores: post_call's dead-letter queue may hold a ``call.ended`` event (with the
transcript) for up to 14 days, and CloudWatch logs hold only redacted lines.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key

from .cost_ledger import cost_sk
from .errors import Conflict, NotFound, SwitchboardError
from .models import CallRecord
from .models._base import E164_PATTERN
from .store._table import tenant_pk
from .store._transact import TransactionCancelled, transact_write
from .store.calls import CALL_SK_PREFIX, CARRIER_CALL_SK, get_call, list_calls, release_lease
from .store.numbers import get_number

CALLS_PREFIX = "tenants/{tenant_id}/calls/{call_id}/"
LIVE_CALL_LIMIT = timedelta(hours=4)
"""Longer than the longest call (``turn_taking.max_duration_s`` is at most 4 hours)."""
IDEMPOTENCY_SK_PREFIX = "IDEM#"
ANONYMOUS_PREFIX = "anon_"
KINDS = (
    "call_records", "transcripts", "analyses", "recording_objects", "transcript_objects", "other_objects",
    "object_versions", "cost_lines_anonymised", "idempotency_items", "carrier_call_items", "leases",
    "crm_activities",
)
"""What a :class:`DeletionReport` counts: ``transcripts`` and ``analyses`` held in call records;
``*_objects`` S3 keys (``object_versions`` every version and delete marker removed)."""


class InvalidPhoneNumber(SwitchboardError, ValueError):
    """Erasure by number needs an E.164 number."""


def _check_id(name: str, value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise ValueError(f"{name} {value!r} cannot name an object prefix")
    return value


def call_object_prefix(tenant_id: str, call_id: str) -> str:
    """The S3 prefix under which every object of a call is written (recordings, transcripts, exports)."""
    return CALLS_PREFIX.format(tenant_id=_check_id("tenant id", tenant_id), call_id=_check_id("call id", call_id))


def recording_key(tenant_id: str, call_id: str, extension: str = "wav") -> str:
    return f"{call_object_prefix(tenant_id, call_id)}recording.{extension}"


def transcript_key(tenant_id: str, call_id: str) -> str:
    return f"{call_object_prefix(tenant_id, call_id)}transcript.json"


class CrmActivityDeleter(Protocol):
    """Removes the CRM records the platform created for a call (found by the call id it stored with them)."""

    name: str

    def delete_call_activities(self, call_id: str) -> tuple[str, ...]:
        """Archive or delete them; return the CRM's ids of what was removed (empty if none)."""
        ...


@dataclass
class DeletionReport:
    tenant_id: str
    call_ids: list[str] = field(default_factory=list)
    deleted: Counter[str] = field(default_factory=Counter)
    crm_activities: dict[str, list[str]] = field(default_factory=dict)
    """CRM name -> ids of the archived activities"""
    skipped_live_calls: list[str] = field(default_factory=list)

    def merge(self, other: DeletionReport) -> None:
        self.call_ids += other.call_ids
        self.deleted.update(other.deleted)
        for crm, ids in other.crm_activities.items():
            self.crm_activities.setdefault(crm, []).extend(ids)
        self.skipped_live_calls += other.skipped_live_calls

    def to_wire(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "call_ids": list(self.call_ids),
            "deleted": {kind: self.deleted.get(kind, 0) for kind in KINDS},
            "crm_activities": {crm: list(ids) for crm, ids in self.crm_activities.items()},
            "skipped_live_calls": list(self.skipped_live_calls),
        }


def anonymous_call_id(tenant_id: str, call_id: str) -> str:
    """What an anonymised cost line carries instead of the call id (not reversible; no record left to match)."""
    return ANONYMOUS_PREFIX + hashlib.sha256(f"{tenant_id}:{call_id}".encode()).hexdigest()[:24]


def idempotency_hash(tenant_id: str, call_id: str) -> str:
    """The hash Powertools puts in post_call's step keys (md5 of the sorted JSON of the step's ``call`` argument)."""
    data = json.dumps({"tenant_id": tenant_id, "call_id": call_id}, sort_keys=True)
    return hashlib.md5(data.encode(), usedforsecurity=False).hexdigest()


def delete_call(
    table: Any,
    s3: Any,
    bucket: str,
    tenant_id: str,
    call_id: str,
    *,
    crm: CrmActivityDeleter | None = None,
    now: datetime | None = None,
) -> DeletionReport:
    """Erase one call of *tenant_id*; :class:`NotFound` if the tenant has no such call."""
    call = get_call(table, tenant_id, call_id)
    moment = now or datetime.now(UTC)
    if call.ended_at is None and moment - call.started_at < LIVE_CALL_LIMIT:
        raise Conflict(f"call {call_id} is still live; delete it after it ends")
    report = DeletionReport(tenant_id=tenant_id, call_ids=[call_id])
    _delete_objects(s3, bucket, call, report)
    if crm is not None:
        report.crm_activities[crm.name] = list(crm.delete_call_activities(call_id))
        report.deleted["crm_activities"] += len(report.crm_activities[crm.name])
    report.deleted["cost_lines_anonymised"] += _anonymise_cost(table, call)
    report.deleted["idempotency_items"] += _delete_idempotency_items(table, tenant_id, call_id)
    report.deleted["carrier_call_items"] += _delete_carrier_call(table, call)
    report.deleted["leases"] += int(release_lease(table, tenant_id, call_id, now=moment.timestamp()))
    table.delete_item(Key={"pk": tenant_pk(tenant_id), "sk": f"{CALL_SK_PREFIX}{call_id}"})
    report.deleted["call_records"] += 1
    report.deleted["transcripts"] += int(bool(call.transcript))
    report.deleted["analyses"] += int(call.analysis is not None)
    return report


def delete_by_phone(
    table: Any,
    s3: Any,
    bucket: str,
    tenant_id: str,
    e164: str,
    *,
    crm: CrmActivityDeleter | None = None,
    now: datetime | None = None,
) -> DeletionReport:
    """Erase every call of *tenant_id* in which *e164* was the caller (inbound) or the callee (outbound).

    The tenant's own numbers are refused (:class:`Conflict`): they are on every call. Live calls are
    left alone and listed in ``skipped_live_calls``.
    """
    if not E164_PATTERN.fullmatch(e164):
        raise InvalidPhoneNumber(f"{e164!r} is not an E.164 number such as +14155550123")
    try:
        get_number(table, tenant_id, e164)
    except NotFound:
        pass
    else:
        raise Conflict(f"{e164} is one of the tenant's own numbers")
    report = DeletionReport(tenant_id=tenant_id)
    for call_id in _calls_with(table, tenant_id, e164):
        try:
            report.merge(delete_call(table, s3, bucket, tenant_id, call_id, crm=crm, now=now))
        except Conflict:
            report.skipped_live_calls.append(call_id)
        except NotFound:
            continue  # deleted meanwhile
    return report


def _calls_with(table: Any, tenant_id: str, e164: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = list_calls(table, tenant_id, number=e164, limit=100, cursor=cursor)
        for call in page.items:
            customer = call.from_number if call.direction == "inbound" else call.to_number
            if customer == e164:
                ids.append(call.call_id)
        cursor = page.cursor
        if cursor is None:
            return ids


# -- the parts --------------------------------------------------------------------------------


def _delete_objects(s3: Any, bucket: str, call: CallRecord, report: DeletionReport) -> None:
    """Every version and delete marker under the call's prefix, and of its ``recording_key`` if elsewhere."""
    prefix = call_object_prefix(call.tenant_id, call.call_id)
    targets: list[dict[str, str]] = []
    keys: set[str] = set()
    listings: list[tuple[str, str | None]] = [(prefix, None)]
    if call.recording_key and not call.recording_key.startswith(prefix):
        listings.append((call.recording_key, call.recording_key))
    for list_prefix, exact in listings:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=list_prefix):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if exact is not None and version["Key"] != exact:
                    continue
                targets.append({"Key": version["Key"], "VersionId": version["VersionId"]})
                keys.add(version["Key"])
    for start in range(0, len(targets), 1000):
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": targets[start : start + 1000], "Quiet": True})
        if response.get("Errors"):
            first = response["Errors"][0]
            raise RuntimeError(f"S3 refused to delete {len(response['Errors'])} object versions: {first.get('Code')}")
    report.deleted["object_versions"] += len(targets)
    for key in keys:
        name = key.rsplit("/", 1)[-1]
        kind = "recording_objects" if name.startswith("recording") else "transcript_objects" if name.startswith(
            "transcript") else "other_objects"
        report.deleted[kind] += 1


def _anonymise_cost(table: Any, call: CallRecord) -> int:
    day = call.started_at.astimezone(UTC).date()
    key = {"pk": tenant_pk(call.tenant_id), "sk": cost_sk(day, call.call_id)}
    item = table.get_item(Key=key, ConsistentRead=True).get("Item")
    if item is None:
        return 0
    anonymous = anonymous_call_id(call.tenant_id, call.call_id)
    kept = {k: item[k] for k in ("day", "total_usd", "layers", "price_table_version") if k in item}
    replacement = {**kept, "pk": key["pk"], "sk": cost_sk(day, anonymous), "call_id": anonymous, "anonymised": True}
    try:
        transact_write(table, [
            {"Put": {"Item": replacement, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Delete": {"Key": key, "ConditionExpression": "attribute_exists(pk)"}},
        ])
    except TransactionCancelled as exc:
        if exc.failed(1):  # someone else anonymised it first
            return 0
        raise
    return 1


def _delete_idempotency_items(table: Any, tenant_id: str, call_id: str) -> int:
    suffix = "#" + idempotency_hash(tenant_id, call_id)
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with(IDEMPOTENCY_SK_PREFIX),
        "ProjectionExpression": "pk, sk",
    }
    count = 0
    while True:
        response = table.query(**kwargs)
        for item in response.get("Items", []):
            if str(item["sk"]).endswith(suffix):
                table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                count += 1
        if "LastEvaluatedKey" not in response:
            return count
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _delete_carrier_call(table: Any, call: CallRecord) -> int:
    errors = table.meta.client.exceptions
    try:
        table.delete_item(
            Key={"pk": f"CARRIERCALL#{call.carrier}#{call.carrier_call_id}", "sk": CARRIER_CALL_SK},
            ConditionExpression="tenant_id = :t AND call_id = :c",
            ExpressionAttributeValues={":t": call.tenant_id, ":c": call.call_id},
        )
    except errors.ConditionalCheckFailedException:
        return 0  # gone already, or (never) another call's
    return 1
