"""The carrier's side of a media stream on the wire: what Twilio and Telnyx send, and parsing what
they receive. Pure functions; see /work/shared/PROTOCOLS.md for the formats."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Carrier = Literal["twilio", "telnyx"]


@dataclass(frozen=True, slots=True)
class StreamInfo:
    carrier: Carrier
    stream_id: str
    call_id: str
    custom_parameters: Mapping[str, str]
    from_number: str | None = None
    to_number: str | None = None
    account_id: str = "AC00000000000000000000000000000000"


def _dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class Encoder:
    """Builds one stream's inbound messages, numbering them as the carrier does."""

    def __init__(self, info: StreamInfo) -> None:
        self.info = info
        self._sequence = 0
        self._chunk = 0

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def connected(self) -> str:
        if self.info.carrier == "twilio":
            return _dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        return _dumps({"event": "connected", "version": "1.0.0"})

    def start(self) -> str:
        i = self.info
        if i.carrier == "twilio":
            return _dumps({
                "event": "start", "sequenceNumber": str(self._next()), "streamSid": i.stream_id,
                "start": {"streamSid": i.stream_id, "callSid": i.call_id, "accountSid": i.account_id,
                          "tracks": ["inbound"], "customParameters": dict(i.custom_parameters),
                          "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
            })  # fmt: skip
        return _dumps({
            "event": "start", "sequence_number": str(self._next()), "stream_id": i.stream_id,
            "start": {"call_control_id": i.call_id, "call_session_id": f"session-{i.call_id}",
                      "from": i.from_number, "to": i.to_number, "custom_parameters": dict(i.custom_parameters),
                      "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}},
        })  # fmt: skip

    def media(self, payload: bytes, timestamp_ms: int, *, chunk: int | None = None) -> str:
        self._chunk += 1
        number = self._chunk if chunk is None else chunk
        media = {"track": "inbound", "chunk": str(number), "timestamp": str(timestamp_ms),
                 "payload": base64.b64encode(payload).decode("ascii")}  # fmt: skip
        return self._envelope("media", {"media": media})

    def dtmf(self, digit: str) -> str:
        return self._envelope("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})

    def mark(self, name: str) -> str:
        return self._envelope("mark", {"mark": {"name": name}})

    def stop(self) -> str:
        key = "callSid" if self.info.carrier == "twilio" else "call_control_id"
        return self._envelope("stop", {"stop": {key: self.info.call_id}})

    def _envelope(self, event: str, body: Mapping[str, Any]) -> str:
        if self.info.carrier == "twilio":
            head = {"event": event, "sequenceNumber": str(self._next()), "streamSid": self.info.stream_id}
        else:
            head = {"event": event, "sequence_number": str(self._next()), "stream_id": self.info.stream_id}
        return _dumps({**head, **body})


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message from the worker: ``media`` (with ``audio``), ``mark`` (with ``name``) or ``clear``."""

    event: str
    audio: bytes = b""
    name: str = ""


def decode_outbound(text: str | bytes) -> Outbound | None:
    """Parse a worker message; None for anything that is not media, mark or clear."""
    try:
        message = json.loads(text)
        event = message["event"]
        if event == "media":
            return Outbound("media", audio=base64.b64decode(message["media"]["payload"]))
        if event == "mark":
            return Outbound("mark", name=str(message["mark"]["name"]))
        if event == "clear":
            return Outbound("clear")
    except (ValueError, KeyError, TypeError):
        return None
    return None
