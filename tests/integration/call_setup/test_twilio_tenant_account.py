"""Twilio webhooks for numbers in a tenant's own Twilio account are verified with that account's auth token.

``ten_a`` stores its own ``twilio`` credentials (as ``PUT /v1/credentials/twilio`` does), so the admin API
configures its numbers in its own account and Twilio signs their webhooks with ``TENANT_TOKEN``;
``ten_b`` has none, so its number lives in the platform account (``TWILIO_TOKEN``).
"""

from __future__ import annotations

import boto3
import pytest

from functions.call_setup.twilio_accounts import TwilioSigningAccounts
from switchboard.errors import NotFound
from switchboard.models import Assistant, PhoneNumber, Tenant
from switchboard.resources import ENV_STAGE
from switchboard.store import CredentialReader, attach_number, create_assistant, create_tenant, put_credentials
from switchboard.store.calls import get_call
from switchboard.store.leases import live_lease_count

from .conftest import TWILIO_NUMBER, TWILIO_TOKEN, Stack, template_form

STAGE = "qa"
TENANT_TOKEN = "ten-a-own-twilio-auth-token"
TENANT_B_NUMBER = "+14155550400"
UNCLAIMED = "+14155559999"


@pytest.fixture
def tenants(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    monkeypatch.setenv(ENV_STAGE, STAGE)
    put_credentials(
        stack.table,
        boto3.client("secretsmanager"),
        stage=STAGE,
        tenant_id="ten_a",
        provider="twilio",
        values={"account_sid": "AC" + "a" * 32, "auth_token": TENANT_TOKEN},
    )
    create_tenant(stack.table, Tenant(tenant_id="ten_b", name="Beta", max_concurrent_calls=2))
    create_assistant(stack.table, "ten_b", Assistant(assistant_id="asst_b", tenant_id="ten_b", name="b",
                                                     system_prompt="Be brief."))
    attach_number(stack.table, "ten_b", PhoneNumber(number=TENANT_B_NUMBER, tenant_id="ten_b", carrier="twilio",
                                                    assistant_id="asst_b"))
    return stack


def voice(stack: Stack, sid: str, *, to: str = TWILIO_NUMBER, token: str) -> dict[str, object]:
    params = {**template_form("call_setup_twilio_voice"), "CallSid": sid, "To": to, "Called": to}
    return stack.twilio("/twilio/voice", params, token=token)


def status(stack: Stack, sid: str, *, to: str = TWILIO_NUMBER, token: str) -> int:
    params = {**template_form("call_setup_twilio_status"), "CallSid": sid, "To": to, "Called": to}
    return int(stack.twilio("/twilio/status", params, token=token)["statusCode"])


def call_ids(stack: Stack, tenant_id: str) -> list[str]:
    return [str(item["call_id"]) for item in stack.call_items(tenant_id)]


def test_a_webhook_signed_with_the_tenants_own_token_starts_the_call(tenants: Stack) -> None:
    response = voice(tenants, "CA-own", token=TENANT_TOKEN)

    assert response["statusCode"] == 200
    assert "<Connect><Stream" in str(response["body"])
    (call_id,) = call_ids(tenants, "ten_a")
    assert get_call(tenants.table, "ten_a", call_id).carrier_call_id == "CA-own"


def test_a_webhook_signed_with_the_platform_token_is_rejected_for_that_tenants_number(
    tenants: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    response = voice(tenants, "CA-platform", token=TWILIO_TOKEN)

    logged = capsys.readouterr().out
    assert response["statusCode"] == 403
    assert "signature_invalid" in logged
    assert call_ids(tenants, "ten_a") == []
    assert TENANT_TOKEN not in logged and TWILIO_TOKEN not in logged


def test_tokens_are_never_logged_when_a_tenant_webhook_is_accepted(
    tenants: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert voice(tenants, "CA-own", token=TENANT_TOKEN)["statusCode"] == 200

    logged = capsys.readouterr().out
    assert "started" in logged
    assert TENANT_TOKEN not in logged and TWILIO_TOKEN not in logged


def test_a_tenant_without_its_own_account_is_still_verified_with_the_platform_token(tenants: Stack) -> None:
    assert voice(tenants, "CA-b", to=TENANT_B_NUMBER, token=TWILIO_TOKEN)["statusCode"] == 200
    assert voice(tenants, "CA-b2", to=TENANT_B_NUMBER, token=TENANT_TOKEN)["statusCode"] == 403

    assert len(call_ids(tenants, "ten_b")) == 1


def test_an_unknown_number_is_verified_with_the_platform_token_and_refused(tenants: Stack) -> None:
    platform = voice(tenants, "CA-x", to=UNCLAIMED, token=TWILIO_TOKEN)
    own = voice(tenants, "CA-y", to=UNCLAIMED, token=TENANT_TOKEN)

    assert platform["statusCode"] == 200
    assert "<Hangup" in str(platform["body"]) and "<Stream" not in str(platform["body"])
    assert own["statusCode"] == 403


def test_status_callbacks_for_the_tenants_number_need_the_tenants_token(tenants: Stack) -> None:
    assert voice(tenants, "CA-own", token=TENANT_TOKEN)["statusCode"] == 200
    (call_id,) = call_ids(tenants, "ten_a")

    assert status(tenants, "CA-own", token=TWILIO_TOKEN) == 403
    assert get_call(tenants.table, "ten_a", call_id).ended_at is None
    assert status(tenants, "CA-own", token=TENANT_TOKEN) == 204

    assert get_call(tenants.table, "ten_a", call_id).ended_at is not None
    assert live_lease_count(tenants.table, "ten_a") == 0


def test_a_tenant_cannot_end_another_tenants_call_by_signing_with_its_own_token(tenants: Stack) -> None:
    # given ten_b's live call / when ten_a signs a status callback naming that CallSid but ten_a's number
    assert voice(tenants, "CA-b", to=TENANT_B_NUMBER, token=TWILIO_TOKEN)["statusCode"] == 200
    (call_id,) = call_ids(tenants, "ten_b")

    forged = status(tenants, "CA-b", to=TWILIO_NUMBER, token=TENANT_TOKEN)

    # then the call's owner decides the token (the platform's), so the forgery is rejected and the call stays
    assert forged == 403
    assert get_call(tenants.table, "ten_b", call_id).ended_at is None
    assert live_lease_count(tenants.table, "ten_b") == 1


def test_a_tenant_cannot_take_over_another_tenants_call_with_a_voice_retry(tenants: Stack) -> None:
    assert voice(tenants, "CA-b", to=TENANT_B_NUMBER, token=TWILIO_TOKEN)["statusCode"] == 200

    retry = voice(tenants, "CA-b", to=TWILIO_NUMBER, token=TENANT_TOKEN)

    assert retry["statusCode"] == 403
    assert "<Stream" not in str(retry["body"])


def test_the_own_account_decision_is_cached_and_refreshed_after_max_age(tenants: Stack) -> None:
    # given a reader over moto's Secrets Manager and a clock we move
    now = [0.0]
    reader = CredentialReader(boto3.client("secretsmanager"), stage=STAGE, ttl_s=0)
    accounts = TwilioSigningAccounts(
        platform_token=lambda: TWILIO_TOKEN,
        tenant_credentials=lambda tenant_id: reader.get(tenant_id, "twilio"),
        max_age_s=60.0,
        clock=lambda: now[0],
    )
    assert accounts.for_tenant("ten_b").tenant_id is None

    # when ten_b stores its own credentials within max_age / then the cached "no own account" still holds
    put_credentials(tenants.table, boto3.client("secretsmanager"), stage=STAGE, tenant_id="ten_b",
                    provider="twilio", values={"account_sid": "AC" + "b" * 32, "auth_token": "ten-b-token"})
    now[0] = 59.0
    assert accounts.for_tenant("ten_b").auth_token == TWILIO_TOKEN

    # and after max_age the tenant's own account is used
    now[0] = 61.0
    own = accounts.for_tenant("ten_b")
    assert (own.tenant_id, own.auth_token) == ("ten_b", "ten-b-token")
    assert "ten-b-token" not in repr(own)
    assert accounts.for_tenant(None).auth_token == TWILIO_TOKEN


def test_an_own_account_without_a_token_verifies_nothing_rather_than_falling_back() -> None:
    def credentials(tenant_id: str) -> dict[str, str]:
        if tenant_id == "ten_a":
            return {"account_sid": "AC" + "a" * 32, "auth_token": ""}
        raise NotFound("none")

    accounts = TwilioSigningAccounts(platform_token=lambda: TWILIO_TOKEN, tenant_credentials=credentials)

    assert (accounts.for_tenant("ten_a").auth_token, accounts.for_tenant("ten_a").tenant_id) == ("", "ten_a")
    assert accounts.for_tenant("ten_x").auth_token == TWILIO_TOKEN
