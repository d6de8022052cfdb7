"""Telnyx media streaming (bidirectional RTP): wire JSON to typed events and back (pure).

Inbound: ``connected``, ``start``, ``media``, ``dtmf``, ``mark``, ``error``,
``stop``, with ``stream_id`` and ``sequence_number``. Media order is not
guaranteed: put media through a :class:`~.reorder.JitterReorderer`.
Outbound: ``media`` (base64 RTP payload, no RTP header), ``mark``,
``clear``; the socket belongs to one stream, so outbound frames carry no id.
"""

from __future__ import annotations

from . import _wire
from ._wire import BadFrame
from .types import (
    CarrierError,
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
        return ConnectedEvent(version=_wire.text(m, "version"))
    if event not in {"start", "media", "dtmf", "mark", "stop", "error"}:
        return UnknownEvent(event)
    sequence = _wire.integer(m, "sequence_number")
    stream_id = (_wire.text(m, "stream_id") or "") if event == "error" else _wire.required_text(m, "stream_id")
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
        return StartEvent(
            stream_id=stream_id,
            call_id=_wire.required_text(start, "call_control_id"),
            call_session_id=_wire.text(start, "call_session_id"),
            from_number=_wire.text(start, "from"),
            to_number=_wire.text(start, "to"),
            custom_parameters=_wire.string_map(start.get("custom_parameters")),
            media_format=_wire.media_format(start.get("media_format"), rate_key="sample_rate"),
            sequence=sequence,
        )
    if event == "dtmf":
        dtmf = _wire.section(m, "dtmf")
        digit = _wire.required_text(dtmf, "digit")
        return DtmfEvent(stream_id=stream_id, digit=digit, track=_wire.text(dtmf, "track"), sequence=sequence)
    if event == "mark":
        name = _wire.required_text(_wire.section(m, "mark"), "name")
        return MarkEvent(stream_id=stream_id, name=name, sequence=sequence)
    if event == "error":
        error = _wire.section(m, "payload", required=False)
        return CarrierError(
            stream_id=stream_id,
            code=_wire.text(error, "code"),
            title=_wire.text(error, "title"),
            detail=_wire.text(error, "detail"),
            sequence=sequence,
        )
    stop = _wire.section(m, "stop", required=False)
    return StopEvent(stream_id=stream_id, call_id=_wire.text(stop, "call_control_id"), sequence=sequence)


def serialize_media(stream_id: str, payload: bytes) -> str:
    """Outbound audio as a base64 RTP payload (PCMU 8 kHz). ``stream_id`` keeps the codecs' signatures alike."""
    del stream_id
    return _wire.dumps({"event": "media", "media": {"payload": _wire.b64(payload)}})


def serialize_mark(stream_id: str, name: str) -> str:
    del stream_id
    return _wire.dumps({"event": "mark", "mark": {"name": name}})


def serialize_clear(stream_id: str) -> str:
    del stream_id
    return _wire.dumps({"event": "clear"})
