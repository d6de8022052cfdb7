"""Fake Deepgram live STT (``/v1/listen``) over a real WebSocket on 127.0.0.1.

Speech timing comes from the audio the client sends (an energy VAD over the mu-law or
linear16 stream, see ``fakes._listen``); the words come from a script: the Nth finalized
utterance gets ``script[N]``. See fakes/README.md for every knob.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from fakes._listen import ListenConfig, ListenEngine, Outgoing
from fakes._ws import Outbox, WebSocketFake, split_path
from fakes.latency import ZERO_LATENCY, LatencyProfile


@dataclass
class DeepgramFaults:
    """Faults to inject. The ``drop_*``/``error_*`` ones fire once, then reset themselves."""

    reject_status: int | None = None  # refuse the handshake with this HTTP status...
    reject_times: int | None = None  # ...this many times (None: until cleared)
    drop_after_audio_bytes: int | None = None  # abort the TCP connection once a session got this much audio
    drop_at_next_utterance: bool = False  # abort the connection when the next speech start is detected
    error_at_next_utterance: str | None = None  # send Error(description) at the next speech start, then close 1011


@dataclass
class DeepgramSession:
    """What one client connection sent and received."""

    path: str
    query: dict[str, list[str]]
    authorization: str | None
    audio_bytes: int = 0
    audio_messages: int = 0
    keepalives: int = 0
    finalizes: int = 0
    close_stream: bool = False
    other_messages: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    dropped: bool = False

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def sent_of(self, message_type: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("type") == message_type]


Script = Sequence[str] | Callable[[int], str]


class FakeDeepgram(WebSocketFake):
    """``async with FakeDeepgram(script=["hello there"]) as dg:`` then point the SDK at ``dg.ws_url``."""

    def __init__(
        self,
        *,
        script: Script = (),
        api_key: str | None = "test-deepgram-key",
        latency: LatencyProfile = ZERO_LATENCY,
        final_latency_ms: int | None = None,
        interim_every_ms: int = 200,
        words_per_s: float = 3.0,
        vad_threshold_rms: float = 300.0,
        min_speech_ms: int = 40,
        script_per_connection: bool = False,
    ) -> None:
        super().__init__()
        self.script = script
        self.api_key = api_key
        self.final_latency_ms = latency.stt_final_ms if final_latency_ms is None else final_latency_ms
        self.interim_every_ms = interim_every_ms
        self.words_per_s = words_per_s
        self.vad_threshold_rms = vad_threshold_rms
        self.min_speech_ms = min_speech_ms
        self.script_per_connection = script_per_connection
        self.faults = DeepgramFaults()
        self.sessions: list[DeepgramSession] = []
        self.utterances_finalized = 0  # script position when the script is shared by all connections

    @property
    def last_session(self) -> DeepgramSession:
        if not self.sessions:
            raise LookupError("no Deepgram session yet")
        return self.sessions[-1]

    def transcript_for(self, index: int) -> str:
        if callable(self.script):
            return self.script(index)
        return self.script[index] if index < len(self.script) else ""

    async def send_error(self, description: str, *, close: bool = True) -> None:
        """Send a Deepgram ``Error`` to every live connection (and close them with 1011)."""
        for connection in list(self._live):
            await connection.send(json.dumps(_error(description)))
            if close:
                await connection.close(1011, description[:100])

    # -- handshake ---------------------------------------------------------------------------

    def check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, query = split_path(request)
        faults = self.faults
        if faults.reject_status is not None and faults.reject_times != 0:
            if faults.reject_times is not None:
                faults.reject_times -= 1
            return connection.respond(HTTPStatus(faults.reject_status), "rejected by fake (fault injection)\n")
        if path.rstrip("/") != "/v1/listen":
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown path\n")
        if self.api_key is not None and request.headers.get("Authorization") != f"Token {self.api_key}":
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid credentials\n")
        encoding = (query.get("encoding") or ["mulaw"])[-1]
        if encoding not in ("mulaw", "linear16"):
            return connection.respond(HTTPStatus.BAD_REQUEST, "the fake decodes encoding=mulaw or linear16 only\n")
        return None

    # -- session -----------------------------------------------------------------------------

    async def handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        path, query = split_path(connection.request)
        session = DeepgramSession(path, query, connection.request.headers.get("Authorization"))
        self.sessions.append(session)
        engine = self._engine(session)
        outbox = Outbox(connection, session.sent)
        try:
            async for message in connection:
                if isinstance(message, bytes):
                    session.audio_bytes += len(message)
                    session.audio_messages += 1
                    if self._drop_for_bytes(session):
                        session.dropped = True
                        connection.transport.abort()
                        return
                    starts_before = engine.speech_starts
                    outgoing = engine.feed(message)
                    began = engine.speech_starts > starts_before
                    if began and await self._utterance_faults(connection, session, outbox):
                        return
                    _queue(outbox, outgoing)
                    continue
                kind = _message_type(message)
                if kind == "KeepAlive":
                    session.keepalives += 1
                elif kind == "Finalize":
                    session.finalizes += 1
                    _queue(outbox, engine.finalize())
                elif kind == "CloseStream":
                    session.close_stream = True
                    _queue(outbox, engine.close_stream())
                    await outbox.drain()
                    await connection.close()
                    return
                else:
                    session.other_messages.append(message)
        finally:
            await outbox.aclose()
            session.closed = True

    def _engine(self, session: DeepgramSession) -> ListenEngine:
        local_counter = [0]

        def position() -> int:
            return local_counter[0] if self.script_per_connection else self.utterances_finalized

        def take() -> str:
            text = self.transcript_for(position())
            if self.script_per_connection:
                local_counter[0] += 1
            else:
                self.utterances_finalized += 1
            return text

        endpointing = session.param("endpointing")
        utterance_end = session.param("utterance_end_ms")
        config = ListenConfig(
            endpointing_ms=None if endpointing == "false" else int(endpointing or 10),
            utterance_end_ms=int(utterance_end) if utterance_end else None,
            interim_results=session.param("interim_results") == "true",
            vad_events=session.param("vad_events") == "true",
            final_latency_ms=self.final_latency_ms,
            interim_every_ms=self.interim_every_ms,
            words_per_s=self.words_per_s,
            vad_threshold_rms=self.vad_threshold_rms,
            min_speech_ms=self.min_speech_ms,
            model=session.param("model") or "nova-3",
            encoding=session.param("encoding") or "mulaw",
            sample_rate=int(session.param("sample_rate") or 8000),
        )
        return ListenEngine(config, peek_transcript=lambda: self.transcript_for(position()), take_transcript=take)

    def _drop_for_bytes(self, session: DeepgramSession) -> bool:
        limit = self.faults.drop_after_audio_bytes
        if limit is not None and session.audio_bytes >= limit:
            self.faults.drop_after_audio_bytes = None
            return True
        return False

    async def _utterance_faults(self, connection: ServerConnection, session: DeepgramSession, outbox: Outbox) -> bool:
        faults = self.faults
        if faults.drop_at_next_utterance:
            faults.drop_at_next_utterance = False
            session.dropped = True
            connection.transport.abort()
            return True
        if faults.error_at_next_utterance is not None:
            description, faults.error_at_next_utterance = faults.error_at_next_utterance, None
            outbox.put(_error(description))
            await outbox.drain()
            await connection.close(1011, description[:100])
            return True
        return False


def _queue(outbox: Outbox, outgoing: list[Outgoing]) -> None:
    for item in outgoing:
        outbox.put(item.message, item.delay_ms)


def _message_type(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data.get("type") if isinstance(data, dict) else None


def _error(description: str) -> dict[str, Any]:
    return {"type": "Error", "variant": "fake", "description": description, "message": description, "code": "FAKE"}
