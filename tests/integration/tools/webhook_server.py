"""A scripted tool webhook over real loopback sockets, for the tool tests.

Each accepted connection is handled by the next behaviour of the script (the last one repeats):
answer with a status and body, hang until the test ends, reset the connection before reading the
request, or read the request and close without answering. Complete requests are recorded.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


Behaviour = Callable[[socket.socket, "ScriptedWebhook"], None]


@dataclass
class ScriptedWebhook:
    script: list[Behaviour]
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/tool?v=1"

    def read_request(self, conn: socket.socket) -> Received | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        request = Received(method=method, target=target, headers=headers, body=body)
        self.received.append(request)
        return request


def answer(status: int = 200, payload: Any = None, *, body: bytes | None = None,
           content_type: str = "application/json", declare_length: bool = True,
           gate: threading.Event | None = None) -> Behaviour:  # fmt: skip
    """Read the request and answer it (once *gate* opens, if given: a tool that is slow on cue)."""
    data = body if body is not None else json.dumps(payload if payload is not None else {"ok": True}).encode()

    def behave(conn: socket.socket, hook: ScriptedWebhook) -> None:
        if hook.read_request(conn) is None:
            return
        if gate is not None:
            gate.wait(10)
        head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
        if declare_length:
            head += f"Content-Length: {len(data)}\r\n"
        with suppress(OSError):  # the client may give up first (e.g. past the size cap)
            conn.sendall(head.encode() + b"\r\n" + data)

    return behave


def hang(conn: socket.socket, hook: ScriptedWebhook) -> None:
    """Read the request, then never answer (until the test ends)."""
    hook.read_request(conn)
    hook.release.wait(10)


def reset_before_reading(conn: socket.socket, hook: ScriptedWebhook) -> None:
    """Wait until the request arrives, then close with it unread: the kernel resets the connection."""
    conn.settimeout(5)
    conn.recv(1, socket.MSG_PEEK)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def close_after_reading(conn: socket.socket, hook: ScriptedWebhook) -> None:
    """Read the whole request (the team's code could have run), then close without a word."""
    hook.read_request(conn)


@contextmanager
def scripted_webhook(*script: Behaviour) -> Iterator[ScriptedWebhook]:
    hook = ScriptedWebhook(script=list(script))
    server = socket.create_server(("127.0.0.1", 0))
    hook.port = server.getsockname()[1]
    server.settimeout(0.05)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def handle(conn: socket.socket, behaviour: Behaviour) -> None:
        with conn:
            conn.settimeout(10)
            with suppress(OSError):
                behaviour(conn, hook)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            behaviour = hook.script[min(hook.connections, len(hook.script) - 1)]
            hook.connections += 1
            worker = threading.Thread(target=handle, args=(conn, behaviour), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=serve, name="scripted-webhook", daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        stop.set()
        thread.join(5)
        for worker in workers:
            worker.join(5)
        server.close()


def refused_port() -> int:
    """A loopback port with nothing listening."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port

