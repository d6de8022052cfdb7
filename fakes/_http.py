"""A minimal HTTP/1.1 server on asyncio streams, enough for JSON and SSE fakes.

One request per connection (every response says ``Connection: close``); SSE bodies are
close-delimited. While a handler streams, ``Exchange.disconnected`` tells it the client went
away (EOF on the socket), which is how the fakes record cancelled requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes._server import FakeServer

_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class ClientGone(Exception):
    """The client closed the connection while we were responding."""


class Exchange:
    """The response side of one request."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._gone = asyncio.Event()
        self._watch = asyncio.create_task(self._watch_task(reader))
        self.status: int | None = None
        self._chunked = False

    @property
    def disconnected(self) -> bool:
        return self._gone.is_set()

    async def wait_disconnected(self) -> None:
        await self._gone.wait()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but raise ClientGone as soon as the client disconnects."""
        if seconds <= 0:
            if self.disconnected:
                raise ClientGone
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._gone.wait(), timeout=seconds)
        if self.disconnected:
            raise ClientGone

    async def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        extra = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
        await self._write(self._head(status, extra) + body)

    async def send_empty(self, status: int = 204, headers: dict[str, str] | None = None) -> None:
        """A response without a body (``204 No Content``)."""
        await self._write(self._head(status, {"Content-Length": "0", **(headers or {})}))

    async def start_stream(self, content_type: str = "text/event-stream", *, chunked: bool = False) -> None:
        """Start a streamed 200 body: close-delimited, or ``Transfer-Encoding: chunked`` (then a cut
        connection is visible to the client as an incomplete body; end it with :meth:`end_stream`)."""
        head = {"Content-Type": content_type, "Cache-Control": "no-cache"}
        if chunked:
            head["Transfer-Encoding"] = "chunked"
        self._chunked = chunked
        await self._write(self._head(200, head))

    async def end_stream(self) -> None:
        if self._chunked:
            await self._write(b"0\r\n\r\n")

    async def send_event(self, data: str) -> None:
        """One SSE event: ``data: <data>\\n\\n``."""
        await self._write(f"data: {data}\n\n".encode())

    async def send_bytes(self, data: bytes) -> None:
        """A piece of a body started with :meth:`start_stream`."""
        if self._chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        await self._write(data)

    def abort(self) -> None:
        """Cut the connection without finishing the response."""
        transport = self._writer.transport
        transport.abort()

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        self.status = status
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _write(self, data: bytes) -> None:
        if self.disconnected:
            raise ClientGone
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            self._gone.set()
            raise ClientGone from exc

    async def _watch_task(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            while await reader.read(4096):
                pass
        self._gone.set()

    async def aclose(self) -> None:
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._watch
        with contextlib.suppress(ConnectionError, RuntimeError):
            self._writer.close()
            await self._writer.wait_closed()


Handler = Callable[[HttpRequest, Exchange], Awaitable[None]]


class HttpFake(FakeServer):
    """Base for HTTP fakes: subclasses implement ``handle(request, exchange)``."""

    def __init__(self) -> None:
        super().__init__()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def handle(self, request: HttpRequest, exchange: Exchange) -> None:
        raise NotImplementedError

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._connection, self.host, 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections.values()):
                writer.transport.abort()  # handlers see the client gone and finish on their own
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            request = await _read_request(reader)
            if request is None:
                return
            exchange = Exchange(reader, writer)
            try:
                await self.handle(request, exchange)
            except ClientGone:
                pass
            finally:
                await exchange.aclose()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _MAX_HEADER_BYTES:
        raise ValueError("header too large")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    parts = urlsplit(target)
    return HttpRequest(method, parts.path, parse_qs(parts.query), headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
