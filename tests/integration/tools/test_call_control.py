"""Built-in call controls against the wire-level carrier fakes: Twilio via the twilio SDK, Telnyx via HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from twilio.rest import Client

from fakes.telnyx_rest import FakeTelnyxRest
from fakes.twilio_rest import FakeTwilioRest
from media_worker.runtime.call_control import CallControlError, CarrierCall
from media_worker.runtime.rest_call_control import (
    CarrierCallControl,
    RebasedTwilioHttpClient,
    TelnyxCallControl,
    TwilioAccount,
    TwilioCallControl,
)

OUR_NUMBER = "+14155550100"
DESK = "+14155550199"


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioRest]:
    async with FakeTwilioRest() as fake:
        yield fake


@pytest.fixture
async def telnyx() -> AsyncIterator[FakeTelnyxRest]:
    async with FakeTelnyxRest() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = await asyncio.to_thread(httpx.AsyncClient)  # loading CA certificates blocks: not on the loop
    yield client
    await client.aclose()


def twilio_control(fake: FakeTwilioRest, **kwargs: object) -> TwilioCallControl:
    account = TwilioAccount(fake.account_sid, fake.auth_token)
    return TwilioCallControl(lambda call: account, api_base_url=fake.http_url, **kwargs)  # type: ignore[arg-type]


async def live_twilio_call(fake: FakeTwilioRest) -> CarrierCall:
    def create() -> str:  # the SDK blocks (and imports lazily): not on the event loop
        sdk = Client(fake.account_sid, fake.auth_token, http_client=RebasedTwilioHttpClient(fake.http_url))
        return str(sdk.calls.create(to="+14155550111", from_=OUR_NUMBER, twiml="<Response/>").sid)

    fake.add_incoming_number(OUR_NUMBER)
    sid = await asyncio.to_thread(create)
    return CarrierCall(carrier="twilio", carrier_call_id=sid, call_id="call_1", tenant_id="ten_t")


async def test_twilio_transfer_updates_the_live_call_with_dial(twilio: FakeTwilioRest) -> None:
    # given a live Twilio call
    call = await live_twilio_call(twilio)
    # when the assistant transfers it
    await twilio_control(twilio).transfer(call, DESK)
    # then the call was updated (through the SDK) with TwiML that dials the destination
    [(sid, form)] = twilio.state.call_updates
    assert sid == call.carrier_call_id
    assert form["Twiml"] == f'<?xml version="1.0" encoding="UTF-8"?><Response><Dial>{DESK}</Dial></Response>'


async def test_twilio_transfer_can_say_an_announcement_first(twilio: FakeTwilioRest) -> None:
    call = await live_twilio_call(twilio)
    await twilio_control(twilio, announcement="Connecting you now.").transfer(call, DESK)
    [(_, form)] = twilio.state.call_updates
    assert "<Response><Say>Connecting you now.</Say><Dial>+14155550199</Dial></Response>" in form["Twiml"]


async def test_twilio_hangup_completes_the_call(twilio: FakeTwilioRest) -> None:
    call = await live_twilio_call(twilio)
    await twilio_control(twilio).hangup(call)
    assert twilio.state.calls[call.carrier_call_id]["status"] == "completed"


async def test_twilio_refusals_and_bad_destinations_are_call_control_errors(twilio: FakeTwilioRest) -> None:
    gone = CarrierCall(carrier="twilio", carrier_call_id="CA" + "0" * 32, call_id="c", tenant_id="t")
    with pytest.raises(CallControlError):
        await twilio_control(twilio).transfer(gone, DESK)  # unknown call: 404
    wrong = TwilioCallControl(lambda call: TwilioAccount(twilio.account_sid, "wrong-token"),
                              api_base_url=twilio.http_url)  # fmt: skip
    call = await live_twilio_call(twilio)
    with pytest.raises(CallControlError):
        await wrong.hangup(call)  # 401
    with pytest.raises(CallControlError):
        await twilio_control(twilio).transfer(call, "</Dial><Play>x</Play>")  # never reaches the API
    assert twilio.state.call_updates == []


def telnyx_control(fake: FakeTelnyxRest, http: httpx.AsyncClient) -> TelnyxCallControl:
    return TelnyxCallControl(http, lambda call: fake.api_key, api_base_url=fake.http_url)


async def test_telnyx_transfer_and_hangup_are_call_control_commands(
    telnyx: FakeTelnyxRest, http: httpx.AsyncClient
) -> None:
    control = telnyx_control(telnyx, http)
    call = CarrierCall(carrier="telnyx", carrier_call_id="v3:abc-123", call_id="call_9", tenant_id="ten_t")
    # when transferring, then hanging up
    await control.transfer(call, DESK)
    await control.hangup(call)
    # then both commands reached the call, with the destination and retry-safe command ids
    [transfer] = telnyx.commands_for("v3:abc-123", "transfer")
    assert transfer.body == {"to": DESK, "command_id": "call_9:transfer"}
    [hangup] = telnyx.commands_for("v3:abc-123", "hangup")
    assert hangup.body == {"command_id": "call_9:hangup"}


async def test_telnyx_refusals_are_call_control_errors(telnyx: FakeTelnyxRest, http: httpx.AsyncClient) -> None:
    telnyx.end_call("v3:ended")
    ended = CarrierCall(carrier="telnyx", carrier_call_id="v3:ended", call_id="c", tenant_id="t")
    with pytest.raises(CallControlError):
        await telnyx_control(telnyx, http).transfer(ended, DESK)  # 422: the call has already ended


async def test_carrier_call_control_routes_by_carrier(telnyx: FakeTelnyxRest, http: httpx.AsyncClient) -> None:
    control = CarrierCallControl(twilio=None, telnyx=telnyx_control(telnyx, http))
    await control.hangup(CarrierCall(carrier="telnyx", carrier_call_id="v3:x", call_id="c", tenant_id="t"))
    with pytest.raises(CallControlError):
        await control.hangup(CarrierCall(carrier="twilio", carrier_call_id="CA1", call_id="c", tenant_id="t"))
    assert len(telnyx.commands_for("v3:x", "hangup")) == 1


async def test_a_transferred_call_is_not_hung_up_afterwards(telnyx: FakeTelnyxRest, http: httpx.AsyncClient) -> None:
    # given a call that was transferred (its stream then closes and the session tears down)
    control = CarrierCallControl(twilio=None, telnyx=telnyx_control(telnyx, http))
    call = CarrierCall(carrier="telnyx", carrier_call_id="v3:moved", call_id="c", tenant_id="t")
    await control.transfer(call, DESK)
    # when the teardown asks to hang it up
    await control.hangup(call)
    # then the caller's new leg is left alone
    assert [c.action for c in telnyx.commands_for("v3:moved")] == ["transfer"]
