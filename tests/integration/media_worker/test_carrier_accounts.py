"""The worker controls a live call through the account that owns the number."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import boto3
import pytest
from twilio.rest import Client

from fakes.twilio_rest import FakeTwilioRest
from media_worker.runtime.call_control import CallControlError, CarrierCall
from media_worker.runtime.carrier_accounts import carrier_call_control
from media_worker.runtime.rest_call_control import RebasedTwilioHttpClient
from switchboard.local_aws import LocalResources
from switchboard.resources import ENV_CARRIER_SECRET, ENV_STAGE
from switchboard.store._table import table_resource
from switchboard.store.secrets import put_credentials


@pytest.fixture
def twilio() -> Iterator[FakeTwilioRest]:
    fake = FakeTwilioRest()
    with fake.in_thread():
        yield fake


def test_no_carrier_secret_means_no_rest_call_control(aws: LocalResources) -> None:
    assert carrier_call_control({ENV_STAGE: "local"}) is None


async def test_transfer_uses_the_tenants_own_account_else_the_platforms(
    aws: LocalResources, twilio: FakeTwilioRest
) -> None:
    def seed() -> tuple[str, str]:
        twilio.add_incoming_number("+14155550100")
        client = Client(twilio.account_sid, twilio.auth_token, http_client=RebasedTwilioHttpClient(twilio.http_url))
        sid: str = client.calls.create(to="+14155550999", from_="+14155550100", url="https://x.example/voice").sid
        sm = boto3.client("secretsmanager")
        platform = {"twilio_account_sid": "ACplatform", "twilio_auth_token": "platform-token", "telnyx_api_key": "k"}
        arn: str = sm.create_secret(Name="sb-test/carrier", SecretString=json.dumps(platform))["ARN"]
        put_credentials(
            table_resource(),
            sm,
            stage="local",
            tenant_id="tn_own",
            provider="twilio",
            values={"account_sid": twilio.account_sid, "auth_token": twilio.auth_token},
        )
        return arn, sid

    arn, sid = await asyncio.to_thread(seed)
    env = {ENV_CARRIER_SECRET: arn, ENV_STAGE: "local", "TWILIO_API_BASE_URL": twilio.http_url}
    control = await asyncio.to_thread(carrier_call_control, env)
    assert control is not None
    own = CarrierCall(carrier="twilio", carrier_call_id=sid, call_id="ca_1", tenant_id="tn_own")
    platform = CarrierCall(carrier="twilio", carrier_call_id="CA2", call_id="ca_2", tenant_id="tn_other")

    await control.transfer(own, "+14155550199")
    with pytest.raises(CallControlError):
        await control.transfer(platform, "+14155550199")  # the fake knows only the tenant's account

    assert twilio.state.call_updates[0][0] == sid
    assert "<Dial>+14155550199</Dial>" in twilio.state.call_updates[0][1]["Twiml"]
    assert len(twilio.state.call_updates) == 1
