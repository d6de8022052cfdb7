"""A wire-level fake of the Telnyx Call Control API (v2 call commands), over loopback.

``POST /v2/calls/{call_control_id}/actions/{action}`` with a JSON body and
``Authorization: Bearer <api key>``. Every request is recorded in :attr:`FakeTelnyxRest.commands`
(including rejected ones, with ``authorized=False``). Responses are shaped like Telnyx's:

- 200 ``{"data": {"result": "ok"}}`` for a known action;
- 401 ``{"errors": [{"code": "10009", ...}]}`` for a missing or wrong API key;
- 422 ``{"errors": [{"code": "90018", ...}]}`` for any command on a call marked ended
  (:meth:`FakeTelnyxRest.end_call`), as Telnyx answers "call has already ended";
- 404 for an unknown path or action;
- a status queued with :meth:`FakeTelnyxRest.fail_next` for the next command of that action.

A repeated ``command_id`` for the same call is recorded but flagged ``duplicate=True``, since
Telnyx ignores such commands. The fake never sends webhooks; tests drive those themselves.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fakes._http import Exchange, HttpFake, HttpRequest

ACTIONS = frozenset(
    {"answer", "hangup", "reject", "speak", "streaming_start", "streaming_stop", "playback_start", "transfer"}
)


@dataclass(frozen=True)
class TelnyxCommand:
    call_control_id: str
    action: str
    body: dict[str, Any]
    authorized: bool
    duplicate: bool = False


def _errors(status: int, code: str, title: str, detail: str) -> tuple[int, dict[str, Any]]:
    return status, {"errors": [{"code": code, "title": title, "detail": detail}]}


class FakeTelnyxRest(HttpFake):
    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key or "KEY" + secrets.token_hex(16)
        self.commands: list[TelnyxCommand] = []
        self._ended: set[str] = set()
        self._failures: dict[str, list[int]] = {}
        self._seen_command_ids: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # --- test set-up and inspection ------------------------------------------------------------

    def end_call(self, call_control_id: str) -> None:
        """Later commands on this call answer 422 (the call has already ended)."""
        with self._lock:
            self._ended.add(call_control_id)

    def fail_next(self, action: str, status: int = 500) -> None:
        with self._lock:
            self._failures.setdefault(action, []).append(status)

    def commands_for(self, call_control_id: str, action: str | None = None) -> list[TelnyxCommand]:
        with self._lock:
            return [
                c
                for c in self.commands
                if c.call_control_id == call_control_id and action in (None, c.action) and c.authorized
            ]

    # --- HTTP ----------------------------------------------------------------------------------

    async def handle(self, request: HttpRequest, exchange: Exchange) -> None:
        status, payload = self._route(request)
        await exchange.send_json(status, payload)

    def _route(self, request: HttpRequest) -> tuple[int, dict[str, Any]]:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 5 or parts[:2] != ["v2", "calls"] or parts[3] != "actions":
            return _errors(404, "10005", "Resource not found", f"{request.method} {request.path}")
        call_control_id, action = unquote(parts[2]), parts[4]
        try:
            body = request.json() or {}
        except ValueError:
            return _errors(400, "10015", "Bad Request", "the body is not JSON")
        authorized = self._authorized(request.headers.get("authorization", ""))
        with self._lock:
            key = (call_control_id, str(body.get("command_id") or ""))
            duplicate = bool(key[1]) and key in self._seen_command_ids
            self.commands.append(TelnyxCommand(call_control_id, action, body, authorized, duplicate))
            if not authorized:
                return _errors(401, "10009", "Authentication failed", "The API key is missing or invalid.")
            if action not in ACTIONS:
                return _errors(404, "10005", "Resource not found", f"unknown action {action}")
            queued = self._failures.get(action)
            if queued:
                status = queued.pop(0)
                return _errors(status, "10007", "Unexpected error", f"injected failure for {action}")
            if call_control_id in self._ended:
                return _errors(422, "90018", "Call has already ended", "This call is no longer active.")
            if key[1]:
                self._seen_command_ids.add(key)
        return 200, {"data": {"result": "ok"}}

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(token.strip(), self.api_key)
