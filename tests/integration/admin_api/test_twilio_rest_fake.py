"""The fake Twilio REST API through the real twilio SDK (its pluggable HTTP client), incl. call updates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fakes.twilio_rest import FakeTwilioRest
from functions.admin_api.carrier import RebasedHttpClient
from switchboard.local_aws import LocalResources
from switchboard.resources import ENV_CARRIER_SECRET

from ._api import call


@pytest.fixture
def fake() -> Iterator[FakeTwilioRest]:
    twilio = FakeTwilioRest()
    with twilio.in_thread():
        yield twilio


def _client(fake: FakeTwilioRest, token: str | None = None) -> Client:
    return Client(fake.account_sid, token or fake.auth_token, http_client=RebasedHttpClient(fake.http_url))


def test_a_live_call_can_be_redirected_with_twiml(fake: FakeTwilioRest) -> None:
    fake.add_incoming_number("+14155550100")
    client = _client(fake)
    created = client.calls.create(to="+14155550999", from_="+14155550100", url="https://x.example/voice")

    updated = client.calls(created.sid).update(twiml="<Response><Dial>+14155550123</Dial></Response>")

    assert updated.sid == created.sid
    assert fake.state.call_updates == [(created.sid, {"Twiml": "<Response><Dial>+14155550123</Dial></Response>"})]
    assert client.calls(created.sid).fetch().direction == "outbound-api"


def test_wrong_credentials_and_unowned_caller_ids_are_rejected_like_twilio(fake: FakeTwilioRest) -> None:
    with pytest.raises(TwilioRestException) as unauthorized:
        _client(fake, token="wrong").incoming_phone_numbers("PN0").fetch()
    with pytest.raises(TwilioRestException) as unverified:
        _client(fake).calls.create(to="+14155550999", from_="+14155550100", url="https://x.example/voice")

    assert (unauthorized.value.status, unauthorized.value.code) == (401, 20003)
    assert (unverified.value.status, unverified.value.code) == (400, 21210)
    assert len(fake.requests) == 2


def test_wrong_tenant_twilio_credentials_are_a_422_problem_not_a_5xx(
    tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    creds = {"values": {"account_sid": twilio.account_sid, "auth_token": "not-the-token"}}
    call("PUT", "/v1/credentials/twilio", tenant_id="ten_a", body=creds)

    response = call("POST", "/v1/numbers", tenant_id="ten_a", body={"number": "+14155550100", "carrier": "twilio"})

    assert response.status == 422 and response.json()["type"].endswith("provider-rejected")


def test_the_platform_carrier_secret_is_used_when_the_tenant_has_no_twilio_credentials(
    aws: LocalResources, tenants: tuple[str, str], twilio: FakeTwilioRest, monkeypatch: pytest.MonkeyPatch, table: Any
) -> None:
    secrets = boto3.client("secretsmanager", endpoint_url=aws.endpoint_url)
    document = f'{{"twilio_account_sid": "{twilio.account_sid}", "twilio_auth_token": "{twilio.auth_token}"}}'
    arn = secrets.create_secret(Name="sb-test/carrier", SecretString=document)["ARN"]
    monkeypatch.setenv(ENV_CARRIER_SECRET, arn)
    twilio.add_available_number("+14155550142")

    response = call("POST", "/v1/numbers/provision", tenant_id="ten_a", body={"area_code": "415"})

    assert response.status == 201, response.text
    assert twilio.number("+14155550142") is not None
