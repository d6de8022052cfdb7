"""WebSocket plumbing shared by the WS fakes (websockets' asyncio server)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from fakes._server import FakeServer


def split_path(request: Request) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(request.path)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


class WebSocketFake(FakeServer):
    """A fake speaking WebSocket. Subclasses implement ``check_request`` and ``handle``."""

    def __init__(self) -> None:
        super().__init__()
        self._server: Server | None = None
        self._live: set[ServerConnection] = set()
        self.rejected: list[int] = []

    async def _start(self) -> int:
        self._server = await serve(
            self._handler,
            self.host,
            0,
            process_request=self._process_request,
            max_size=None,
            max_queue=None,  # never pause reading: a closing handshake must not queue behind unread audio
            compression=None,
        )
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Return a Response to refuse the handshake, or None to accept it."""
        return None

    async def handle(self, connection: ServerConnection) -> None:
        raise NotImplementedError

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        response = self.check_request(connection, request)
        if response is not None:
            self.rejected.append(response.status_code)
        return response

    async def _handler(self, connection: ServerConnection) -> None:
        self._live.add(connection)
        try:
            await self.handle(connection)
        except ConnectionClosed:
            pass
        finally:
            self._live.discard(connection)

    def drop_all(self) -> None:
        """Cut every live connection like a network failure (no close frame)."""
        for connection in list(self._live):
            connection.transport.abort()


class Outbox:
    """Sends JSON messages at their due time, in (due, arrival) order, from one task."""

    def __init__(self, connection: ServerConnection, sent: list[dict[str, Any]]) -> None:
        self._connection = connection
        self._sent = sent
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.create_task(self._send_task())

    def put(self, message: dict[str, Any], delay_ms: float = 0) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay_ms / 1000, next(self._seq), message))
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Wait until everything queued so far has been sent (or the socket died)."""
        if not self._task.done():
            await self._idle.wait()

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _send_task(self) -> None:
        try:
            while True:
                if not self._heap:
                    self._idle.set()
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                due, _, message = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=wait)
                    continue
                heapq.heappop(self._heap)
                await self._connection.send(json.dumps(message))
                self._sent.append(message)
        except ConnectionClosed:
            pass
        finally:
            self._idle.set()
