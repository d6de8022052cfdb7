"""Retention and HIPAA rules with a fixed clock (moto never expires items, so the logic is tested here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from switchboard.hipaa import ENV_BAA_PROVIDERS, NotBaaEligible, baa_providers, baa_violations, check_baa
from switchboard.models import (
    Assistant,
    Compliance,
    CrmTarget,
    LlmSettings,
    Retention,
    SttSettings,
    Tenant,
    TtsSettings,
)
from switchboard.retention import (
    RETENTION_TAG_DAYS,
    RETENTION_TAG_KEY,
    is_expired,
    lifecycle_rules,
    live,
    object_expired,
    s3_retention_days,
    s3_tag,
    s3_tagging,
    storage_plan,
    ttl_epoch,
)

T0 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
TENANT = Tenant(tenant_id="ten_r", name="Retain", retention_days=30)


def assistant(**compliance: object) -> Assistant:
    days = compliance.pop("days", None)
    return Assistant(assistant_id="as_r", tenant_id="ten_r", name="R", system_prompt="Hi.",
                     compliance=Compliance(**compliance),  # type: ignore[arg-type]
                     retention=Retention(days=days))  # type: ignore[arg-type]


class Clock:
    """A fake clock: starts at T0 and moves only when told."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def test_an_item_expires_exactly_when_its_retention_ends() -> None:
    # given a call item stored with the tenant's 30 days
    item = {"pk": "TENANT#ten_r", "sk": "CALL#c1", "expires_at": Decimal(ttl_epoch(T0, 30))}
    clock = Clock()
    # then it is live until the last second of day 30, and expired from then on
    assert not is_expired(item, clock.advance(days=29, hours=23, minutes=59, seconds=59))
    assert is_expired(item, clock.advance(seconds=1))
    assert is_expired(item, clock.advance(days=400))


def test_items_without_ttl_never_expire_and_epoch_floats_work() -> None:
    assert not is_expired({"pk": "TENANT#t", "sk": "COST#2026-11-03#c1"}, T0 + timedelta(days=10_000))
    assert is_expired({"expires_at": 100}, 100.0)
    with pytest.raises(ValueError, match="epoch seconds"):
        is_expired({"expires_at": "soon"}, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_expired({"expires_at": 1}, datetime(2026, 1, 1))


def test_live_drops_what_the_ttl_sweep_has_not_deleted_yet() -> None:
    items = [{"sk": "a", "expires_at": ttl_epoch(T0, 1)}, {"sk": "b", "expires_at": ttl_epoch(T0, 7)}, {"sk": "c"}]
    assert [i["sk"] for i in live(items, T0 + timedelta(days=2))] == ["b", "c"]


def test_the_assistant_override_beats_the_tenant_retention() -> None:
    plan = storage_plan(TENANT, assistant(days=7), started_at=T0)
    assert plan.retention_days == 7
    assert plan.expires_at == int(T0.timestamp()) + 7 * 86_400
    assert storage_plan(TENANT, assistant(), started_at=T0).retention_days == 30
    assert storage_plan(TENANT, None, started_at=T0).retention_days == 30


@pytest.mark.parametrize(("days", "step"), [(1, 1), (4, 5), (30, 30), (31, 45), (366, 400), (3650, 3650)])
def test_s3_objects_are_tagged_with_the_smallest_step_that_keeps_them_long_enough(days: int, step: int) -> None:
    assert s3_retention_days(days) == step
    assert s3_tag(days) == {"Key": RETENTION_TAG_KEY, "Value": str(step)}
    assert s3_tagging(days) == f"retention-days={step}"


def test_retention_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 3650"):
        s3_retention_days(0)
    with pytest.raises(ValueError, match="between 1 and 3650"):
        s3_retention_days(3651)


def test_every_tag_value_has_exactly_one_lifecycle_rule_within_the_s3_limit() -> None:
    rules = lifecycle_rules()
    assert [r.tag_value for r in rules] == [str(d) for d in RETENTION_TAG_DAYS]
    assert all(r.expiration_days == int(r.tag_value) and r.tag_key == RETENTION_TAG_KEY for r in rules)
    assert len({r.rule_id for r in rules}) == len(rules) <= 1000
    for days in (1, 29, 30, 100, 3650):  # every possible retention lands on a rule
        assert s3_tag(days)["Value"] in {r.tag_value for r in rules}


def test_object_expiry_uses_the_exact_retention_when_known_else_the_tag() -> None:
    modified = T0
    tags = {RETENTION_TAG_KEY: "45"}
    clock = Clock()
    assert not object_expired(modified, tags, clock.advance(days=31), retention=40)
    assert object_expired(modified, tags, clock.advance(days=9), retention=40)
    assert not object_expired(modified, tags, T0 + timedelta(days=44))
    assert object_expired(modified, tags, T0 + timedelta(days=45))
    assert not object_expired(modified, {}, T0 + timedelta(days=10_000))


def test_hipaa_without_a_dedicated_key_stores_no_recording_and_no_transcript() -> None:
    plan = storage_plan(TENANT, assistant(hipaa_mode=True, redaction="off"), started_at=T0)
    assert (plan.store_recording, plan.store_transcript, plan.kms_key_id) == (False, False, None)
    assert plan.redaction == "placeholder"  # never off in HIPAA mode
    assert plan.log_bodies is False


def test_hipaa_with_a_dedicated_key_stores_under_that_key() -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/hipaa"
    plan = storage_plan(TENANT, assistant(hipaa_mode=True), started_at=T0, hipaa_kms_key_id=key)
    assert (plan.store_recording, plan.store_transcript, plan.kms_key_id) == (True, True, key)
    # and a non-HIPAA assistant ignores the HIPAA key
    assert storage_plan(TENANT, assistant(), started_at=T0, hipaa_kms_key_id=key).kms_key_id is None


def test_the_assistants_own_switches_still_apply() -> None:
    plan = storage_plan(TENANT, assistant(record_calls=False, store_transcripts=False, pci_masking=True),
                        started_at=T0)
    assert (plan.store_recording, plan.store_transcript, plan.pci_masking, plan.log_bodies) == (False, False,
                                                                                               True, True)
    assert plan.s3_tagging == "retention-days=30"


def test_a_hipaa_assistant_may_only_use_baa_eligible_providers() -> None:
    hipaa = Assistant(assistant_id="as_h", tenant_id="ten_r", name="H", system_prompt="Hi.",
                      compliance=Compliance(hipaa_mode=True), stt=SttSettings(provider="deepgram"),
                      llm=LlmSettings(provider="openai"), tts=TtsSettings(provider="cartesia"),
                      crm=CrmTarget(provider="hubspot"))
    eligible = baa_providers({ENV_BAA_PROVIDERS: "Deepgram, openai"})
    assert eligible == {"deepgram", "openai"}
    assert baa_violations(hipaa, eligible) == ["tts:cartesia", "crm:hubspot"]
    with pytest.raises(NotBaaEligible) as caught:
        check_baa(hipaa, eligible)
    assert caught.value.violations == ["tts:cartesia", "crm:hubspot"]
    # local providers are always eligible; non-HIPAA assistants are not restricted
    local = hipaa.model_copy(update={"tts": TtsSettings(provider="piper_local"), "crm": CrmTarget()})
    check_baa(local, eligible)
    assert baa_violations(assistant(), frozenset()) == []
