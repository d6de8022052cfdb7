"""Shared machinery for the CRM fakes: routing, request recording, bearer auth, scripted faults.

A fake declares routes ``(name, method, path regex, handler)``; a handler is a plain function
``(request, match) -> (status, body)``. Tests script faults per route name, for the next N
requests: an HTTP error (optionally with ``Retry-After``) or a hung response that never
completes (the client's timeout fires). ``apply_first=True`` performs the operation before
failing, which is the ambiguous case dedupe exists for (the CRM wrote it, the client saw an error).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes._http import ClientGone, Exchange, HttpFake, HttpRequest

HandlerResult = tuple[int, Any]
RouteHandler = Callable[[HttpRequest, "re.Match[str]"], HandlerResult]


@dataclass(frozen=True)
class Fault:
    status: int = 500
    retry_after: str | None = None
    hang: bool = False
    apply_first: bool = False
    body: Any = None


@dataclass(frozen=True)
class Recorded:
    route: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int | None
    fault: Fault | None


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: RouteHandler


class CrmFake(HttpFake):
    """Base class; subclasses fill ``self.routes`` and implement ``authorized(request)``."""

    vendor = "crm"

    def __init__(self) -> None:
        super().__init__()
        self.routes: list[Route] = []
        self.requests: list[Recorded] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)

    def new_id(self, prefix: str = "") -> str:
        return f"{prefix}{next(self._ids)}"

    def route(self, name: str, method: str, pattern: str, handler: RouteHandler) -> None:
        self.routes.append(Route(name, method, re.compile(pattern + r"/?$"), handler))

    # -- scripting ----------------------------------------------------------------------------

    def fail(self, route: str, *faults: Fault) -> None:
        """The next requests to *route* get these faults, in order; later ones are served normally."""
        if route not in {r.name for r in self.routes}:
            raise KeyError(f"{type(self).__name__} has no route {route!r}")
        with self._lock:
            self._faults.setdefault(route, deque()).extend(faults)

    def fail_times(self, route: str, times: int, status: int = 500, retry_after: str | None = None) -> None:
        self.fail(route, *[Fault(status=status, retry_after=retry_after)] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls_to(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    # -- subclass hooks -----------------------------------------------------------------------

    def authorized(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        return {"status": "error", "message": f"fake {self.vendor} error {status}"}

    # -- HTTP ---------------------------------------------------------------------------------

    async def handle(self, request: HttpRequest, exchange: Exchange) -> None:
        for candidate in self.routes:
            match = candidate.pattern.match(request.path)
            if match and candidate.method == request.method:
                break
        else:
            await exchange.send_json(404, self.error_body(404))
            return
        if not self.authorized(request):
            self._record(candidate.name, request, 401, None)
            await exchange.send_json(401, self.error_body(401))
            return
        with self._lock:
            queue = self._faults.get(candidate.name)
            fault = queue.popleft() if queue else None
        if fault is not None and fault.apply_first:
            candidate.handler(request, match)
        if fault is not None:
            self._record(candidate.name, request, None if fault.hang else fault.status, fault)
            if fault.hang:
                await exchange.wait_disconnected()
                raise ClientGone
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            await exchange.send_json(fault.status, fault.body or self.error_body(fault.status), headers)
            return
        try:
            payload = request.json()
        except ValueError:
            payload = None
        status, body = candidate.handler(request, match)
        self.requests.append(Recorded(candidate.name, request.method, request.path, request.query, payload, status,
                                      None))
        if status == 204:
            await exchange.send_empty(204)
            return
        await exchange.send_json(status, body)

    def _record(self, route: str, request: HttpRequest, status: int | None, fault: Fault | None) -> None:
        try:
            payload = request.json()
        except ValueError:
            payload = None
        self.requests.append(Recorded(route, request.method, request.path, request.query, payload, status, fault))


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def same_phone(stored: str | None, wanted: str) -> bool:
    """Loose phone equality, as CRM phone search does it: equal digits, or equal last ten digits."""
    a, b = digits(stored), digits(wanted)
    if not a or not b:
        return False
    return a == b or (len(a) >= 10 and len(b) >= 10 and a[-10:] == b[-10:])
