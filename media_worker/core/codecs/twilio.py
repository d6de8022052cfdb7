"""Twilio Media Streams: wire JSON to typed events and back (pure).

Inbound: ``connected``, ``start``, ``media``, ``dtmf``, ``mark``, ``stop``;
every message after ``connected`` carries ``streamSid`` and
``sequenceNumber`` (Twilio sends numbers as decimal strings). Outbound:
``media``, ``mark``, ``clear``.
"""

from __future__ import annotations

from . import _wire
from ._wire import BadFrame
from .types import (
    CarrierEvent,
    ConnectedEvent,
    DtmfEvent,
    MalformedFrame,
    MarkEvent,
    MediaEvent,
    ParseResult,
    StartEvent,
    StopEvent,
    UnknownEvent,
)


def parse(text: str | bytes) -> ParseResult:
    """One inbound frame as a typed event, or a :class:`MalformedFrame` / :class:`UnknownEvent`; never raises."""
    try:
        event, message = _wire.load(text)
        return _parse(event, message)
    except BadFrame as exc:
        return MalformedFrame(exc.reason)


def _parse(event: str, m: dict[str, object]) -> CarrierEvent | UnknownEvent:
    if event == "connected":
        return ConnectedEvent(protocol=_wire.text(m, "protocol"), version=_wire.text(m, "version"))
    if event not in {"start", "media", "dtmf", "mark", "stop"}:
        return UnknownEvent(event)
    sequence = _wire.integer(m, "sequenceNumber")
    stream_id = _wire.required_text(m, "streamSid")
    if event == "media":
        media = _wire.section(m, "media")
        return MediaEvent(
            stream_id=stream_id,
            payload=_wire.payload(media),
            chunk=_wire.integer(media, "chunk"),
            timestamp_ms=_wire.integer(media, "timestamp"),
            track=_wire.text(media, "track"),
            sequence=sequence,
        )
    if event == "start":
        start = _wire.section(m, "start")
        tracks = start.get("tracks")
        return StartEvent(
            stream_id=stream_id,
            call_id=_wire.required_text(start, "callSid"),
            account_id=_wire.text(start, "accountSid"),
            tracks=tuple(t for t in tracks if isinstance(t, str)) if isinstance(tracks, list) else (),
            custom_parameters=_wire.string_map(start.get("customParameters")),
            media_format=_wire.media_format(start.get("mediaFormat"), rate_key="sampleRate"),
            sequence=sequence,
        )
    if event == "dtmf":
        dtmf = _wire.section(m, "dtmf")
        digit = _wire.required_text(dtmf, "digit")
        return DtmfEvent(stream_id=stream_id, digit=digit, track=_wire.text(dtmf, "track"), sequence=sequence)
    if event == "mark":
        name = _wire.required_text(_wire.section(m, "mark"), "name")
        return MarkEvent(stream_id=stream_id, name=name, sequence=sequence)
    stop = _wire.section(m, "stop", required=False)
    return StopEvent(stream_id=stream_id, call_id=_wire.text(stop, "callSid"), sequence=sequence)


def serialize_media(stream_id: str, payload: bytes) -> str:
    """Outbound audio (mu-law 8 kHz; 160 bytes per 20 ms frame)."""
    return _wire.dumps({"event": "media", "streamSid": stream_id, "media": {"payload": _wire.b64(payload)}})


def serialize_mark(stream_id: str, name: str) -> str:
    return _wire.dumps({"event": "mark", "streamSid": stream_id, "mark": {"name": name}})


def serialize_clear(stream_id: str) -> str:
    return _wire.dumps({"event": "clear", "streamSid": stream_id})
