"""The carrier's media-stream WebSocket: its codec, the inbound reader and the outbound sink.

Twilio and Telnyx differ only in wire format (``core.codecs.twilio`` / ``core.codecs.telnyx``);
Telnyx media may arrive out of order and goes through a ``JitterReorderer`` by chunk.
Malformed frames, unknown events and sequence gaps are logged (the first few of each, then
every 100th) and survived: the call goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Literal, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from media_worker.core import (
    DtmfEvent,
    JitterReorderer,
    MalformedFrame,
    MarkEvent,
    MediaEvent,
    SequenceTracker,
    StartEvent,
    StopEvent,
    UnknownEvent,
    telnyx,
    twilio,
)
from media_worker.core.codecs import CarrierError, ConnectedEvent

from .logs import CallLogger
from .outbound import CarrierClosed

log = logging.getLogger(__name__)

Carrier = Literal["twilio", "telnyx"]
CODECS: dict[Carrier, ModuleType] = {"twilio": twilio, "telnyx": telnyx}
LOG_FIRST = 5


class CallSink(Protocol):
    """What the reader hands to the call (implemented by ``CallSession``)."""

    def on_media(self, audio: bytes) -> None: ...

    def on_mark(self, name: str) -> None: ...

    def on_dtmf(self, digit: str) -> None: ...

    def on_stopped(self) -> None: ...


class CarrierStream:
    def __init__(self, connection: ServerConnection, carrier: Carrier) -> None:
        self.connection = connection
        self.carrier = carrier
        self._codec = CODECS[carrier]
        self._stream_id = ""
        self._sequence = SequenceTracker()
        self._reorder: JitterReorderer[bytes] = JitterReorderer(window=4)
        self._log: CallLogger | Callable[..., None] | None = None
        self.problems: dict[str, int] = {}
        self.stopped = False

    def bind(self, call_log: CallLogger) -> None:
        self._log = call_log

    # -- reading ------------------------------------------------------------------------------

    async def wait_for_start(self, timeout_s: float) -> StartEvent | None:
        """Read until ``start`` (skipping ``connected`` and anything early); None if it never came."""
        try:
            async with asyncio.timeout(timeout_s):
                async for message in self.connection:
                    event = self._codec.parse(message)
                    if isinstance(event, StartEvent):
                        self._stream_id = event.stream_id
                        self._sequence, _ = self._sequence.observe(event.sequence)
                        return event
                    if not isinstance(event, ConnectedEvent):
                        self._problem("before_start", type(event).__name__)
        except (TimeoutError, ConnectionClosed):
            return None
        return None

    async def pump(self, call: CallSink) -> None:
        """Route every inbound frame to the call until ``stop`` or the socket closes."""
        try:
            async for message in self.connection:
                self._route(self._codec.parse(message), call)
                if self.stopped:
                    break
        except ConnectionClosed:
            pass
        if self.carrier == "telnyx":
            self._reorder, out = self._reorder.flush()
            for audio in out.items:
                call.on_media(audio)
        if not self.stopped:
            self.stopped = True
            call.on_stopped()

    def _route(self, event: object, call: CallSink) -> None:
        sequence = getattr(event, "sequence", None)
        if sequence is not None:
            self._sequence, gap = self._sequence.observe(sequence)
            if gap is not None:
                self._problem("sequence_gap", f"expected {gap.expected}, got {gap.received}")
        match event:
            case MediaEvent():
                if event.track not in (None, "inbound", "inbound_track"):
                    return
                if self.carrier == "telnyx" and event.chunk is not None:
                    self._reorder, out = self._reorder.push(event.chunk, event.payload)
                    if out.skipped:
                        self._problem("media_skipped", f"chunks {list(out.skipped)}")
                    for audio in out.items:
                        call.on_media(audio)
                else:
                    call.on_media(event.payload)
            case MarkEvent():
                call.on_mark(event.name)
            case DtmfEvent():
                call.on_dtmf(event.digit)
            case StopEvent():
                self.stopped = True
                call.on_stopped()
            case MalformedFrame():
                self._problem("malformed_frame", event.reason)
            case UnknownEvent():
                self._problem("unknown_event", event.name)
            case CarrierError():
                self._problem("carrier_error", f"{event.code} {event.title}")
            case _:
                pass  # connected / a repeated start

    def _problem(self, kind: str, detail: str) -> None:
        count = self.problems[kind] = self.problems.get(kind, 0) + 1
        if count <= LOG_FIRST or count % 100 == 0:
            if isinstance(self._log, CallLogger):
                self._log.warning("carrier frame problem", kind=kind, detail=detail[:200], count=count)
            else:
                log.warning("carrier frame problem", extra={"kind": kind, "detail": detail[:200], "count": count})

    # -- writing (the outbound lane's sink) ---------------------------------------------------

    async def send_media(self, frame: bytes) -> None:
        await self._send(self._codec.serialize_media(self._stream_id, frame))

    async def send_mark(self, name: str) -> None:
        await self._send(self._codec.serialize_mark(self._stream_id, name))

    async def send_clear(self) -> None:
        await self._send(self._codec.serialize_clear(self._stream_id))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)

    async def _send(self, text: str) -> None:
        try:
            await self.connection.send(text)
        except ConnectionClosed:
            raise CarrierClosed from None
