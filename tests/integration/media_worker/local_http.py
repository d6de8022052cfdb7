"""A tiny in-test HTTP server on loopback (a team's webhook, the ECS agent) and an HTTP tool invoker.

Not a vendor fake: it stands in for the team's own endpoint, and records what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from media_worker.runtime.tools import ToolRequest, ToolResult


@dataclass
class Received:
    method: str
    path: str
    body: Any


@dataclass
class LocalHttpServer:
    respond: Callable[[Received], tuple[int, Any]] = lambda request: (200, {"ok": True})
    requests: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def start(self) -> LocalHttpServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(method, path, json.loads(raw) if raw else None)
            self.requests.append(request)
            status, payload = self.respond(request)
            body = json.dumps(payload).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()


async def post_json(url: str, payload: Any) -> tuple[int, Any]:
    """A minimal HTTP/1.1 JSON POST over asyncio streams."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    body = json.dumps(payload).encode()
    writer.write(
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, rest = response.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(rest or b"null")


class HttpToolInvoker:
    """A ToolInvoker that POSTs the call straight to the tool's webhook (tests only: production goes
    through the tool_call Lambda, see ``media_worker/runtime/tool_invoker_http.py``)."""

    async def invoke(self, request: ToolRequest) -> ToolResult:
        started = time.monotonic()
        payload = {"call_id": request.call_id, "tool": request.tool_name, "arguments": dict(request.arguments),
                   "idempotency_key": request.idempotency_key}  # fmt: skip
        status, body = await post_json(str(request.definition.webhook_url), payload)
        latency = (time.monotonic() - started) * 1000.0
        return ToolResult(json.dumps(body), "ok" if status < 400 else "error", latency)
