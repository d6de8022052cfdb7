"""Retention, the pure part: how long a call's data lives, how each store is told, and what HIPAA mode keeps.

- **How long:** the assistant's ``retention.days`` if set, else the tenant's ``retention_days``.
- **DynamoDB:** every call-scoped item carries ``expires_at`` (epoch seconds), the table's TTL
  attribute. DynamoDB deletes expired items in the background, typically within a few days, so
  readers must not serve an item whose time has passed: :func:`is_expired` / :func:`live`.
  (moto never expires items; the tests exercise this logic with a fixed clock.)
- **S3:** each recording or transcript object is tagged ``retention-days=N``; the bucket has one
  lifecycle rule per allowed value (:func:`lifecycle_rules`), filtered by that tag. S3 allows at most
  1000 rules, so N is the smallest step of :data:`RETENTION_TAG_DAYS` that is at least the retention
  (an object may outlive its record by less than one step; the record, the only way to find the
  object, expires on time, and :func:`object_expired` lets readers refuse it at the exact time).
- **HIPAA mode** (:func:`storage_plan`): recordings and transcripts are stored only when a dedicated
  KMS key for HIPAA data is configured (then under that key); otherwise they are not stored at all.
  Redaction is never ``off`` and log lines keep no bodies.

Cost ledger items (no personal data) and audit items carry no TTL on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from .models import Assistant, Tenant
from .redaction import Mode
from .resources import TABLE
from .store.calls import SECONDS_PER_DAY, expiry_epoch, retention_days

RETENTION_TAG_KEY = "retention-days"
RETENTION_TAG_DAYS: tuple[int, ...] = (
    1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 400, 545, 730, 1095, 1460, 1825, 2190, 2555,
    2920, 3285, 3650,
)
"""The tag values the bucket's lifecycle rules know (each a rule ``Retention{N}d``)."""
MAX_RETENTION_DAYS = RETENTION_TAG_DAYS[-1]

T = TypeVar("T", bound=Mapping[str, Any])


def _epoch(now: datetime | float) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.timestamp()
    return float(now)


def ttl_epoch(started_at: datetime, days: int) -> int:
    """The ``expires_at`` value (epoch **seconds**, as DynamoDB TTL wants) for data of a call started then."""
    return expiry_epoch(started_at, days)


def is_expired(item: Mapping[str, Any], now: datetime | float) -> bool:
    """Whether DynamoDB TTL may already have deleted *item* (``expires_at`` <= now). No TTL: never."""
    value = item.get(TABLE.ttl_attribute)
    if value is None:
        return False
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        raise ValueError(f"{TABLE.ttl_attribute} must be epoch seconds, got {type(value).__name__}")
    return float(value) <= _epoch(now)


def live(items: Iterable[T], now: datetime | float) -> list[T]:
    """The items that have not expired (what a read may return before the TTL sweep catches up)."""
    return [item for item in items if not is_expired(item, now)]


def s3_retention_days(days: int) -> int:
    """The lifecycle step an object with *days* of retention is tagged with."""
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"retention days must be between 1 and {MAX_RETENTION_DAYS}")
    return next(step for step in RETENTION_TAG_DAYS if step >= days)


def s3_tag(days: int) -> dict[str, str]:
    """``{"Key": "retention-days", "Value": "<step>"}`` for ``PutObjectTagging`` / ``put_object_tagging``."""
    return {"Key": RETENTION_TAG_KEY, "Value": str(s3_retention_days(days))}


def s3_tagging(days: int) -> str:
    """The ``Tagging=`` string of ``put_object`` / ``upload_fileobj(ExtraArgs=...)``: ``retention-days=30``."""
    return urlencode({RETENTION_TAG_KEY: s3_retention_days(days)})


@dataclass(frozen=True, slots=True)
class LifecycleRuleSpec:
    """One S3 lifecycle rule: objects tagged ``retention-days=<tag_value>`` expire after that many days."""

    rule_id: str
    tag_key: str
    tag_value: str
    expiration_days: int


def lifecycle_rules() -> list[LifecycleRuleSpec]:
    """The bucket's tag-filtered expiry rules (the CDK stack builds ``s3.LifecycleRule`` from these)."""
    return [
        LifecycleRuleSpec(rule_id=f"Retention{days}d", tag_key=RETENTION_TAG_KEY, tag_value=str(days),
                          expiration_days=days)
        for days in RETENTION_TAG_DAYS
    ]


def object_expired(last_modified: datetime, tags: Mapping[str, str], now: datetime | float,
                   *, retention: int | None = None) -> bool:
    """Whether an object is past its retention: *retention* days if known (the exact value), else its tag."""
    days = retention
    if days is None:
        tag = tags.get(RETENTION_TAG_KEY)
        if tag is None or not tag.isdigit():
            return False  # untagged: only the bucket-wide rule applies
        days = int(tag)
    return last_modified.timestamp() + days * SECONDS_PER_DAY <= _epoch(now)


@dataclass(frozen=True, slots=True)
class StoragePlan:
    """What a call may store, for how long and how (decided once, when the call starts)."""

    retention_days: int
    expires_at: int
    store_recording: bool
    store_transcript: bool
    kms_key_id: str | None
    """SSE-KMS key for the call's objects; None means the bucket's default key."""
    redaction: Mode
    log_bodies: bool
    pci_masking: bool
    s3_tagging: str


def storage_plan(
    tenant: Tenant,
    assistant: Assistant | None,
    *,
    started_at: datetime,
    hipaa_kms_key_id: str | None = None,
) -> StoragePlan:
    """The plan for a call of *assistant* (None: the tenant's defaults) that started at *started_at*."""
    days = retention_days(tenant, assistant)
    compliance = assistant.compliance if assistant is not None else None
    hipaa = compliance is not None and compliance.hipaa_mode
    may_store = not hipaa or hipaa_kms_key_id is not None
    redaction: Mode = compliance.redaction if compliance is not None else "placeholder"
    if hipaa and redaction == "off":
        redaction = "placeholder"
    return StoragePlan(
        retention_days=days,
        expires_at=ttl_epoch(started_at, days),
        store_recording=may_store and (compliance is None or compliance.record_calls),
        store_transcript=may_store and (compliance is None or compliance.store_transcripts),
        kms_key_id=hipaa_kms_key_id if hipaa else None,
        redaction=redaction,
        log_bodies=not hipaa,
        pci_masking=compliance is not None and compliance.pci_masking,
        s3_tagging=s3_tagging(min(days, MAX_RETENTION_DAYS)),
    )
