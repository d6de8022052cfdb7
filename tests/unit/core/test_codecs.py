"""Carrier codecs: Twilio and Telnyx wire JSON to typed events and back, surviving bad input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_worker.core import (
    ConnectedEvent,
    DtmfEvent,
    MalformedFrame,
    MarkEvent,
    MediaEvent,
    MediaFormat,
    StartEvent,
    StopEvent,
    UnknownEvent,
    telnyx,
    twilio,
)
from media_worker.core.codecs import MAX_FRAME_CHARS, CarrierError

AUDIO = bytes(range(160))
B64 = base64.b64encode(AUDIO).decode()


def frame(message: dict[str, Any]) -> str:
    return json.dumps(message)


# -- Twilio ------------------------------------------------------------------


def test_twilio_connected() -> None:
    assert twilio.parse(frame({"event": "connected", "protocol": "Call", "version": "1.0.0"})) == ConnectedEvent(
        protocol="Call", version="1.0.0"
    )


def test_twilio_start_carries_ids_parameters_and_format() -> None:
    message = {
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": "MZ1",
        "start": {
            "accountSid": "AC1",
            "streamSid": "MZ1",
            "callSid": "CA1",
            "tracks": ["inbound"],
            "customParameters": {"token": "tok.abc", "tenant": "t1"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }
    event = twilio.parse(frame(message))
    assert isinstance(event, StartEvent)
    assert (event.stream_id, event.call_id, event.account_id, event.sequence) == ("MZ1", "CA1", "AC1", 1)
    assert event.stream_token == "tok.abc"
    assert event.custom_parameters["tenant"] == "t1"
    assert event.tracks == ("inbound",)
    assert event.media_format == MediaFormat("audio/x-mulaw", 8000, 1)


def test_twilio_media_decodes_payload_and_string_numbers() -> None:
    message = {
        "event": "media",
        "sequenceNumber": "3",
        "streamSid": "MZ1",
        "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": B64},
    }
    assert twilio.parse(frame(message)) == MediaEvent(
        stream_id="MZ1", payload=AUDIO, chunk=2, timestamp_ms=5, track="inbound", sequence=3
    )


def test_twilio_dtmf_mark_stop() -> None:
    dtmf = {
        "event": "dtmf",
        "streamSid": "MZ1",
        "sequenceNumber": "5",
        "dtmf": {"track": "inbound_track", "digit": "7"},
    }
    mark = {"event": "mark", "streamSid": "MZ1", "sequenceNumber": "6", "mark": {"name": "r2@400"}}
    stop = {"event": "stop", "streamSid": "MZ1", "sequenceNumber": "7", "stop": {"accountSid": "AC1", "callSid": "CA1"}}
    assert twilio.parse(frame(dtmf)) == DtmfEvent(stream_id="MZ1", digit="7", track="inbound_track", sequence=5)
    assert twilio.parse(frame(mark)) == MarkEvent(stream_id="MZ1", name="r2@400", sequence=6)
    assert twilio.parse(frame(stop)) == StopEvent(stream_id="MZ1", call_id="CA1", sequence=7)


def test_twilio_outbound_messages() -> None:
    assert json.loads(twilio.serialize_media("MZ1", AUDIO)) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": B64},
    }
    assert json.loads(twilio.serialize_mark("MZ1", "r1@end")) == {
        "event": "mark",
        "streamSid": "MZ1",
        "mark": {"name": "r1@end"},
    }
    assert json.loads(twilio.serialize_clear("MZ1")) == {"event": "clear", "streamSid": "MZ1"}


# -- Telnyx ------------------------------------------------------------------


def test_telnyx_start_uses_snake_case_fields() -> None:
    message = {
        "event": "start",
        "sequence_number": "1",
        "stream_id": "S1",
        "start": {
            "user_id": "U1",
            "call_control_id": "v2:abc",
            "call_session_id": "sess-1",
            "from": "+13125550100",
            "to": "+13125550199",
            "custom_parameters": {"token": "tok.xyz"},
            "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1},
        },
    }
    event = telnyx.parse(frame(message))
    assert isinstance(event, StartEvent)
    assert (event.stream_id, event.call_id, event.call_session_id) == ("S1", "v2:abc", "sess-1")
    assert (event.from_number, event.to_number) == ("+13125550100", "+13125550199")
    assert event.stream_token == "tok.xyz"
    assert event.media_format == MediaFormat("PCMU", 8000, 1)


def test_telnyx_media_dtmf_mark_error_stop() -> None:
    media = {
        "event": "media",
        "sequence_number": "4",
        "stream_id": "S1",
        "media": {"track": "inbound", "chunk": "2", "timestamp": "40", "payload": B64},
    }
    assert telnyx.parse(frame(media)) == MediaEvent(
        stream_id="S1", payload=AUDIO, chunk=2, timestamp_ms=40, track="inbound", sequence=4
    )
    dtmf = {"event": "dtmf", "stream_id": "S1", "sequence_number": "5", "dtmf": {"digit": "#"}}
    assert telnyx.parse(frame(dtmf)) == DtmfEvent(stream_id="S1", digit="#", sequence=5)
    mark = {"event": "mark", "stream_id": "S1", "sequence_number": "6", "mark": {"name": "r3@200"}}
    assert telnyx.parse(frame(mark)) == MarkEvent(stream_id="S1", name="r3@200", sequence=6)
    error = {"event": "error", "stream_id": "S1", "payload": {"code": 100002, "title": "unknown_error"}}
    assert telnyx.parse(frame(error)) == CarrierError(stream_id="S1", code="100002", title="unknown_error")
    stop = {"event": "stop", "stream_id": "S1", "sequence_number": "9", "stop": {"call_control_id": "v2:abc"}}
    assert telnyx.parse(frame(stop)) == StopEvent(stream_id="S1", call_id="v2:abc", sequence=9)


def test_telnyx_outbound_messages() -> None:
    assert json.loads(telnyx.serialize_media("S1", AUDIO)) == {"event": "media", "media": {"payload": B64}}
    assert json.loads(telnyx.serialize_mark("S1", "r1@end")) == {"event": "mark", "mark": {"name": "r1@end"}}
    assert json.loads(telnyx.serialize_clear("S1")) == {"event": "clear"}


# -- bad input is a value, never an exception --------------------------------

BAD_FRAMES = [
    ("not json at all", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"no": "event"}', "no event name"),
    ('{"event": "media", "streamSid": "MZ1", "stream_id": "S1"}', "missing object 'media'"),
    (
        '{"event": "media", "streamSid": "MZ1", "stream_id": "S1", "media": {"payload": "@@not base64@@"}}',
        "not valid base64",
    ),
    ('{"event": "mark", "streamSid": "MZ1", "stream_id": "S1", "mark": {}}', "missing 'name'"),
    ('{"event": "media", "media": {"payload": ""}}', "missing"),
    ('{"event": "dtmf", "streamSid": "MZ1", "stream_id": "S1", "sequenceNumber": "x", "sequence_number": "x", '
     '"dtmf": {"digit": "1"}}', "invalid"),
]  # fmt: skip


@pytest.mark.parametrize("codec", [twilio, telnyx], ids=["twilio", "telnyx"])
@pytest.mark.parametrize(("text", "reason"), BAD_FRAMES)
def test_malformed_frames_come_back_as_values(codec: Any, text: str, reason: str) -> None:
    result = codec.parse(text)
    assert isinstance(result, MalformedFrame)
    assert reason in result.reason


@pytest.mark.parametrize("codec", [twilio, telnyx], ids=["twilio", "telnyx"])
def test_oversized_frame_is_rejected_before_parsing(codec: Any) -> None:
    huge = frame({"event": "media", "media": {"payload": "A" * MAX_FRAME_CHARS}})
    result = codec.parse(huge)
    assert isinstance(result, MalformedFrame)
    assert "exceeds" in result.reason


@pytest.mark.parametrize("codec", [twilio, telnyx], ids=["twilio", "telnyx"])
def test_unknown_event_is_named(codec: Any) -> None:
    assert codec.parse('{"event": "flux_capacitor"}') == UnknownEvent("flux_capacitor")


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_parse_never_raises(text: str | bytes) -> None:
    for codec in (twilio, telnyx):
        codec.parse(text)


@given(st.binary(max_size=2000))
def test_media_round_trips_through_serialize_and_parse(audio: bytes) -> None:
    # what we send, parsed as if echoed back, is the same audio
    for codec, stream_key in ((twilio, "streamSid"), (telnyx, "stream_id")):
        sent = json.loads(codec.serialize_media("X1", audio))
        sent[stream_key] = "X1"
        event = codec.parse(json.dumps(sent))
        assert isinstance(event, MediaEvent)
        assert event.payload == audio
