"""The demo's ``create_support_ticket`` tool: a tiny local ticket desk on loopback.

It answers the platform's tool webhook envelope (``{"call", "tool", "arguments"}``, see
``switchboard.tools.envelope.request_body``) on ``POST /tools/create_support_ticket``: it records
the ticket and returns ``{"ticket_id": "T-1001", "status": "open"}``; the assistant reads that
result back to the caller. Anything else is 404, a body that is not the envelope 400.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_PATH = "/tools/create_support_ticket"


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: str
    call_id: str
    caller_number: str | None
    arguments: dict[str, Any]
    received_at: str

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "call_id": self.call_id, "caller_number": self.caller_number,
                "arguments": self.arguments, "received_at": self.received_at}  # fmt: skip


@dataclass
class TicketDesk:
    tickets: list[Ticket] = field(default_factory=list)
    listeners: list[Callable[[Ticket], None]] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open_ticket(self, envelope: dict[str, Any]) -> Ticket:
        call, arguments = envelope["call"], envelope["arguments"]
        if not isinstance(call, dict) or not isinstance(arguments, dict):
            raise ValueError("not a tool envelope")
        with self._lock:
            ticket = Ticket(f"T-{next(self._numbers)}", str(call.get("id", "")), call.get("caller_number"),
                            dict(arguments), datetime.now(UTC).isoformat())  # fmt: skip
            self.tickets.append(ticket)
        for listener in list(self.listeners):
            listener(ticket)
        return ticket


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != TOOL_PATH:
            self._answer(404, {"error": "not found"})
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            ticket = self.server.desk.open_ticket(json.loads(body))
        except (ValueError, KeyError, TypeError):
            self._answer(400, {"error": "expected the tool webhook envelope"})
            return
        self._answer(200, {"ticket_id": ticket.ticket_id, "status": "open"})

    def _answer(self, status: int, document: dict[str, Any]) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, desk: TicketDesk) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.desk = desk


class DemoWebhook:
    """The ticket desk on ``127.0.0.1:<ephemeral>``, served from a background thread."""

    def __init__(self, desk: TicketDesk | None = None) -> None:
        self.desk = desk or TicketDesk()
        self._server = _Server(self.desk)
        self._thread: threading.Thread | None = None

    @property
    def tool_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{TOOL_PATH}"

    def start(self) -> DemoWebhook:
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-webhook", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
