"""Typed carrier media-stream events, shared by the Twilio and Telnyx codecs.

Parsing never raises: bad input comes back as a :class:`MalformedFrame` or
:class:`UnknownEvent` value, so the caller logs it and the call goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from switchboard.stream_token import STREAM_TOKEN_PARAMETER as STREAM_TOKEN_PARAMETER

MAX_FRAME_CHARS = 64 * 1024
"""Largest inbound text frame accepted (a 20 ms media frame is ~300 characters)."""


@dataclass(frozen=True, slots=True)
class MediaFormat:
    encoding: str
    sample_rate: int
    channels: int = 1


@dataclass(frozen=True, slots=True)
class ConnectedEvent:
    protocol: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class StartEvent:
    """``call_id`` is the carrier's call id: Twilio ``callSid``, Telnyx ``call_control_id``."""

    stream_id: str
    call_id: str
    custom_parameters: Mapping[str, str] = field(default_factory=dict)
    media_format: MediaFormat | None = None
    account_id: str | None = None
    call_session_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    tracks: tuple[str, ...] = ()
    sequence: int | None = None

    @property
    def stream_token(self) -> str | None:
        return self.custom_parameters.get(STREAM_TOKEN_PARAMETER)


@dataclass(frozen=True, slots=True)
class MediaEvent:
    """One inbound audio chunk; ``timestamp_ms`` is ms since the stream started."""

    stream_id: str
    payload: bytes
    chunk: int | None = None
    timestamp_ms: int | None = None
    track: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class DtmfEvent:
    stream_id: str
    digit: str
    track: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class MarkEvent:
    stream_id: str
    name: str
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class StopEvent:
    stream_id: str
    call_id: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class CarrierError:
    """The carrier reported an error on the stream (Telnyx ``error``)."""

    stream_id: str
    code: str | None
    title: str | None
    detail: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class MalformedFrame:
    """The frame could not be understood: not JSON, too big, missing fields, bad base64."""

    reason: str


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """Valid JSON with an ``event`` this codec does not know."""

    name: str


CarrierEvent = ConnectedEvent | StartEvent | MediaEvent | DtmfEvent | MarkEvent | StopEvent | CarrierError
ParseResult = CarrierEvent | MalformedFrame | UnknownEvent
