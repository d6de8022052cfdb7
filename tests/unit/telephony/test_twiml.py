"""TwiML built for Twilio."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from switchboard.telephony.twiml import connect_stream, say_and_hang_up


def test_connect_stream_points_at_the_worker_with_custom_parameters() -> None:
    document = connect_stream(
        "wss://media.example.com/twilio",
        {"token": "tok.sig", "call_id": "call_1"},
        status_callback="https://api.example.com/twilio/status",
    )

    root = ET.fromstring(document)
    stream = root.find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == "wss://media.example.com/twilio"
    assert stream.get("statusCallback") == "https://api.example.com/twilio/status"
    assert {p.get("name"): p.get("value") for p in stream.findall("Parameter")} == {
        "token": "tok.sig",
        "call_id": "call_1",
    }


def test_say_and_hang_up_speaks_then_hangs_up() -> None:
    root = ET.fromstring(say_and_hang_up("Sorry & goodbye."))

    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == "Sorry & goodbye."
