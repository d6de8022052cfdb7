"""Fake Cartesia TTS WebSocket (``/tts/websocket``) on 127.0.0.1.

Speaks the wire protocol the cartesia 4.2 SDK uses: generation requests keyed by
``context_id`` (many contexts per connection, ``continue`` pushes, ``cancel``), answered by
``chunk`` messages (base64 ``data``) and then ``done``. The audio is real and audible: a voice-like
buzz whose length is proportional to the text, in the requested encoding and sample rate.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from fakes._ws import WebSocketFake, split_path
from fakes.audio import mulaw_encode, voice_like
from fakes.latency import ZERO_LATENCY, LatencyProfile

ENCODINGS = ("pcm_mulaw", "pcm_s16le", "pcm_f32le")
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
_END = object()


@dataclass
class CartesiaFaults:
    """Faults to inject. ``error_next_context`` and ``drop_after_chunks`` fire once, then reset."""

    reject_status: int | None = None
    reject_times: int | None = None  # None: until cleared
    error_next_context: str | None = None  # the next new context gets an ``error`` with this message
    drop_after_chunks: int | None = None  # abort the connection after this many more chunks


@dataclass
class CartesiaContext:
    """One context (one assistant turn) as the fake saw it."""

    context_id: str
    model_id: str | None = None
    voice: Any = None
    output_format: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    transcripts: list[str] = field(default_factory=list)
    input_done: bool = False
    cancelled: bool = False
    errored: bool = False
    chunks_sent: int = 0
    audio_bytes_sent: int = 0
    done_sent: bool = False

    @property
    def transcript(self) -> str:
        return "".join(self.transcripts)


@dataclass
class CartesiaConnection:
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    cartesia_version: str | None
    contexts: dict[str, CartesiaContext] = field(default_factory=dict)
    cancels: list[str] = field(default_factory=list)
    invalid_messages: list[str] = field(default_factory=list)
    closed: bool = False
    dropped: bool = False


class FakeCartesia(WebSocketFake):
    """``async with FakeCartesia() as tts:`` then ``websocket_base_url=tts.ws_url, base_url=tts.http_url``."""

    def __init__(
        self,
        *,
        api_key: str | None = "test-cartesia-key",
        latency: LatencyProfile = ZERO_LATENCY,
        ttfb_ms: int | None = None,
        ms_per_char: float = 60.0,
        min_segment_ms: int = 100,
        chunk_ms: int = 40,
        realtime_factor: float | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.ttfb_ms = latency.tts_ttfb_ms if ttfb_ms is None else ttfb_ms
        self.ms_per_char = ms_per_char
        self.min_segment_ms = min_segment_ms
        self.chunk_ms = chunk_ms
        self.realtime_factor = latency.tts_realtime_factor if realtime_factor is None else realtime_factor
        self.faults = CartesiaFaults()
        self.connections: list[CartesiaConnection] = []

    @property
    def contexts(self) -> list[CartesiaContext]:
        return [ctx for conn in self.connections for ctx in conn.contexts.values()]

    def context(self, context_id: str) -> CartesiaContext:
        for ctx in self.contexts:
            if ctx.context_id == context_id:
                return ctx
        raise LookupError(f"no context {context_id!r}")

    def audio_for(self, text: str, output_format: dict[str, Any]) -> bytes:
        """The audio the fake speaks for ``text`` (public so tests and bench can predict lengths)."""
        rate = int(output_format.get("sample_rate", 8000))
        duration_s = max(self.min_segment_ms, self.ms_per_char * len(text.strip())) / 1000
        signal = voice_like(duration_s, sample_rate=rate)
        encoding = output_format.get("encoding", "pcm_mulaw")
        if encoding == "pcm_mulaw":
            return mulaw_encode(signal)
        if encoding == "pcm_s16le":
            return np.clip(signal, -32768, 32767).astype("<i2").tobytes()
        return (signal / 32768.0).astype("<f4").tobytes()

    # -- handshake ---------------------------------------------------------------------------

    def check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, query = split_path(request)
        faults = self.faults
        if faults.reject_status is not None and faults.reject_times != 0:
            if faults.reject_times is not None:
                faults.reject_times -= 1
            return connection.respond(HTTPStatus(faults.reject_status), "rejected by fake (fault injection)\n")
        if path.rstrip("/") != "/tts/websocket":
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown path\n")
        if self.api_key is not None:
            header_ok = request.headers.get("Authorization") == f"Bearer {self.api_key}"
            query_ok = self.api_key in query.get("api_key", [])
            if not (header_ok or query_ok):
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid api key\n")
        return None

    # -- session -----------------------------------------------------------------------------

    async def handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        path, query = split_path(connection.request)
        headers = connection.request.headers
        record = CartesiaConnection(
            path,
            query,
            headers.get("Authorization"),
            headers.get("cartesia-version") or next(iter(query.get("cartesia_version", [])), None),
        )
        self.connections.append(record)
        session = _Session(self, connection, record)
        try:
            async for message in connection:
                await session.receive(message)
        finally:
            await session.aclose()
            record.closed = True


class _Session:
    """One connection: routes requests to per-context synthesis tasks."""

    def __init__(self, fake: FakeCartesia, connection: ServerConnection, record: CartesiaConnection) -> None:
        self.fake = fake
        self.connection = connection
        self.record = record
        self.inputs: dict[str, asyncio.Queue[object]] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def receive(self, message: str | bytes) -> None:
        try:
            request = json.loads(message)
            context_id = str(request["context_id"])
        except (ValueError, KeyError, TypeError):
            self.record.invalid_messages.append(message if isinstance(message, str) else repr(message))
            await self.send({"type": "error", "done": True, "status_code": 400, "title": "Invalid request",
                             "message": "message must be JSON with a context_id"})
            return
        if request.get("cancel"):
            self.cancel(context_id)
            return
        ctx = self.record.contexts.get(context_id)
        if ctx is None:
            ctx = self.open_context(context_id, request)
            if ctx.errored:
                return
        if ctx.errored or ctx.cancelled or ctx.input_done:
            return
        transcript = str(request.get("transcript") or "")
        if transcript:
            ctx.transcripts.append(transcript)
            self.inputs[context_id].put_nowait(transcript)
        if request.get("continue") is False:
            ctx.input_done = True
            self.inputs[context_id].put_nowait(_END)

    def open_context(self, context_id: str, request: dict[str, Any]) -> CartesiaContext:
        output_format = dict(request.get("output_format") or {})
        ctx = CartesiaContext(
            context_id,
            model_id=request.get("model_id"),
            voice=request.get("voice"),
            output_format=output_format,
            language=request.get("language"),
        )
        self.record.contexts[context_id] = ctx
        problem = self.fake.faults.error_next_context
        if problem is not None:
            self.fake.faults.error_next_context = None
        elif output_format.get("encoding") not in ENCODINGS or output_format.get("sample_rate") not in SAMPLE_RATES:
            problem = f"unsupported output_format for the fake: {output_format}"
        if problem is not None:
            ctx.errored = True
            self.spawn(context_id, self.send_error(ctx, problem))
            return ctx
        self.inputs[context_id] = asyncio.Queue()
        self.spawn(context_id, self.synth_task(ctx))
        return ctx

    def spawn(self, context_id: str, coro: Any) -> None:
        self.tasks[context_id] = asyncio.create_task(coro)

    def cancel(self, context_id: str) -> None:
        self.record.cancels.append(context_id)
        ctx = self.record.contexts.get(context_id)
        if ctx is not None:
            ctx.cancelled = True
        task = self.tasks.get(context_id)
        if task is not None:
            task.cancel()

    async def synth_task(self, ctx: CartesiaContext) -> None:
        fake = self.fake
        queue = self.inputs[ctx.context_id]
        rate = int(ctx.output_format["sample_rate"])
        width = {"pcm_mulaw": 1, "pcm_s16le": 2}.get(ctx.output_format["encoding"], 4)
        chunk_bytes = max(1, rate * fake.chunk_ms // 1000) * width
        pace_s = fake.chunk_ms / 1000 / fake.realtime_factor if fake.realtime_factor > 0 else 0.0
        first = True
        while True:
            item = await queue.get()
            if item is _END:
                break
            if first:
                first = False
                await asyncio.sleep(fake.ttfb_ms / 1000)
            audio = fake.audio_for(str(item), ctx.output_format)
            for start in range(0, len(audio), chunk_bytes):
                data = audio[start : start + chunk_bytes]
                await self.send({"type": "chunk", "context_id": ctx.context_id, "data": base64.b64encode(data).decode(),
                                 "done": False, "status_code": 206, "step_time": 1.0})
                ctx.chunks_sent += 1
                ctx.audio_bytes_sent += len(data)
                self.maybe_drop()
                if pace_s:
                    await asyncio.sleep(pace_s)
        await self.send({"type": "done", "context_id": ctx.context_id, "done": True, "status_code": 206})
        ctx.done_sent = True

    def maybe_drop(self) -> None:
        faults = self.fake.faults
        if faults.drop_after_chunks is None:
            return
        faults.drop_after_chunks -= 1
        if faults.drop_after_chunks <= 0:
            faults.drop_after_chunks = None
            self.record.dropped = True
            self.connection.transport.abort()

    async def send_error(self, ctx: CartesiaContext, message: str) -> None:
        await self.send({"type": "error", "context_id": ctx.context_id, "done": True, "status_code": 500,
                         "title": "Generation failed", "message": message, "error_code": "fake_error"})

    async def send(self, payload: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(payload))

    async def aclose(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
