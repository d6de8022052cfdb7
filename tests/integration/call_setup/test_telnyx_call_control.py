"""The Telnyx Call Control client against the wire-level fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from fakes.telnyx_rest import FakeTelnyxRest
from switchboard.errors import ProviderError
from switchboard.telephony.telnyx_call_control import MediaStreamRequest, TelnyxCallControl

CCID = "v3:abc-123"


@pytest.fixture
def fake() -> Iterator[FakeTelnyxRest]:
    with FakeTelnyxRest().in_thread() as server:
        yield server


def client(fake: FakeTelnyxRest, api_key: str | None = None) -> TelnyxCallControl:
    return TelnyxCallControl(api_key or fake.api_key, session=requests.Session(), base_url=fake.http_url)


def test_streaming_start_sends_bidirectional_rtp_and_custom_parameters(fake: FakeTelnyxRest) -> None:
    stream = MediaStreamRequest(stream_url="wss://media.example.com/telnyx", custom_parameters={"token": "t.s"})

    client(fake).start_streaming(CCID, stream, client_state="Y2FsbF8x", command_id="stream-call_1")

    (command,) = fake.commands_for(CCID, "streaming_start")
    assert command.body == {
        "stream_url": "wss://media.example.com/telnyx",
        "stream_track": "inbound_track",
        "stream_codec": "PCMU",
        "stream_bidirectional_mode": "rtp",
        "stream_bidirectional_codec": "PCMU",
        "custom_parameters": [{"name": "token", "value": "t.s"}],
        "client_state": "Y2FsbF8x",
        "command_id": "stream-call_1",
    }


def test_a_wrong_api_key_is_a_permanent_failure(fake: FakeTelnyxRest) -> None:
    with pytest.raises(ProviderError) as caught:
        client(fake, api_key="KEYwrong").answer(CCID, client_state="eA==", command_id="a")

    assert caught.value.retryable is False
    assert fake.commands_for(CCID) == []


def test_a_server_error_is_retryable(fake: FakeTelnyxRest) -> None:
    fake.fail_next("hangup", 503)

    with pytest.raises(ProviderError) as caught:
        client(fake).hangup(CCID, command_id="h")

    assert caught.value.retryable is True


def test_a_command_on_an_ended_call_is_a_permanent_failure(fake: FakeTelnyxRest) -> None:
    fake.end_call(CCID)

    with pytest.raises(ProviderError) as caught:
        client(fake).reject(CCID, cause="USER_BUSY", command_id="r")

    assert caught.value.retryable is False


def test_an_unreachable_api_is_retryable() -> None:
    dead = TelnyxCallControl("KEY", session=requests.Session(), base_url="http://127.0.0.1:9", timeout_s=0.5)

    with pytest.raises(ProviderError) as caught:
        dead.answer(CCID, client_state="eA==", command_id="a")

    assert caught.value.retryable is True
