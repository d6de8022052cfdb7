"""The worker's one port: carrier media streams over WebSocket, and ``/healthz``.

Paths: ``/twilio`` (Twilio Media Streams), ``/telnyx`` (Telnyx bidirectional RTP PCMU),
``/healthz`` (200 ``ok``; 503 ``draining`` once draining began). Anything else is 404. While
draining, new stream handshakes get 503 too.

Every stream must authenticate: the ``token`` custom parameter of the carrier ``start`` is
redeemed (HMAC, expiry, single use) before anything else happens. Close codes:

=====  ===============================================================================
1000   the call ended normally
1013   the worker is draining (a stream that got in just before)
4400   no ``start`` message within ``START_TIMEOUT_S``
4401   the stream token is missing, malformed, forged, expired or already used
4404   the token's assistant does not exist
=====  ===============================================================================

A rejected stream opens no provider connection, and its reason is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from media_worker.app import MediaWorkerApp
from media_worker.runtime.carrier import Carrier, CarrierStream
from media_worker.runtime.drain import drain
from media_worker.runtime.logs import monotonic_ms
from media_worker.runtime.outcome import CallIdentity
from switchboard.errors import NotFound, StreamTokenError
from switchboard.stream_token import STREAM_FROM_PARAMETER, STREAM_TO_PARAMETER, STREAM_TOKEN_PARAMETER

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_DRAINING = 1013
CLOSE_NO_START = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
START_TIMEOUT_S = 10.0
PATHS: dict[str, Carrier] = {"/twilio": "twilio", "/telnyx": "telnyx"}
MAX_MESSAGE_BYTES = 256 * 1024


class MediaServer:
    def __init__(self, app: MediaWorkerApp) -> None:
        self.app = app
        self.draining = False
        self._server: Server | None = None
        self.rejected: dict[str, int] = {}

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def start(self, host: str = "0.0.0.0", port: int | None = None) -> int:  # noqa: S104 - behind the ALB
        self._server = await serve(
            self._handler,
            host,
            self.app.config.port if port is None else port,
            process_request=self._process_request,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
            ping_interval=20,
            ping_timeout=20,
        )
        log.info("media worker listening", extra={"port": self.port})
        return self.port

    async def drain(self) -> None:
        """SIGTERM: fail health checks, refuse new streams, let calls finish, then end them politely."""
        self.draining = True
        config = self.app.config
        await drain(self.app.active, limit_s=config.drain_limit_s, goodbye=config.drain_goodbye)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.app.aclose()

    # -- HTTP ---------------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path.rstrip("/") or "/"
        if path == "/healthz":
            if self.draining:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "draining\n")
            return connection.respond(HTTPStatus.OK, "ok\n")
        if path not in PATHS:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if self.draining:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "draining\n")
        return None

    # -- one stream ---------------------------------------------------------------------------

    async def _handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        carrier = PATHS[urlsplit(connection.request.path).path.rstrip("/")]
        stream = CarrierStream(connection, carrier)
        start = await stream.wait_for_start(START_TIMEOUT_S)
        started_ms = monotonic_ms()
        if start is None:
            await self._reject(connection, carrier, CLOSE_NO_START, "no start message")
            return
        if self.draining:
            await self._reject(connection, carrier, CLOSE_DRAINING, "draining")
            return
        try:
            claims = self.app.authenticate(start.custom_parameters.get(STREAM_TOKEN_PARAMETER))
        except StreamTokenError as error:
            await self._reject(connection, carrier, CLOSE_UNAUTHORIZED, f"unauthorized: {error.reason}")
            return
        identity = CallIdentity(
            call_id=claims.call_id,
            tenant_id=claims.tenant_id,
            assistant_id=claims.assistant_id,
            carrier=carrier,
            carrier_call_id=start.call_id,
            stream_id=start.stream_id,
            # Twilio's start carries no numbers: call setup passes the call's as custom parameters
            from_number=start.from_number or start.custom_parameters.get(STREAM_FROM_PARAMETER),
            to_number=start.to_number or start.custom_parameters.get(STREAM_TO_PARAMETER),
        )
        try:
            session = await self.app.open_call(identity, stream)
        except NotFound:
            await self._reject(connection, carrier, CLOSE_NOT_FOUND, "assistant not found")
            return
        stream.bind(session.log)
        self.app.active.add(session)
        pump = asyncio.create_task(stream.pump(session), name="carrier-read-task")
        try:
            await session.run(started_ms)
        except Exception:
            session.log.error("call failed", exc_info=True)
        finally:
            self.app.active.discard(session)
            with contextlib.suppress(Exception):
                await connection.close(CLOSE_NORMAL, "call ended")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await asyncio.gather(pump, return_exceptions=True)
            pump.cancel()

    async def _reject(self, connection: ServerConnection, carrier: Carrier, code: int, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        peer = connection.remote_address[0] if connection.remote_address else None
        log.warning("stream rejected", extra={"carrier": carrier, "close_code": code, "reason": reason, "peer": peer})
        await connection.close(code, reason)
