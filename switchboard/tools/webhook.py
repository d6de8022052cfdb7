"""One POST to a tool webhook: SSRF-checked, pinned to the checked address, time- and size-limited.

The exchange is done with :mod:`http.client` on a connection made to the resolved address that the
SSRF guard approved (``Host``, TLS SNI and the certificate check still use the URL's host name).

Limits
    - one deadline for everything (DNS, connect, send, response, body, retries): the tool's timeout;
    - the response body is read in chunks and abandoned past ``max_response_bytes``;
    - redirects are not followed (a 3xx is an error), so a redirect cannot bypass the guard.

Retries happen only when the webhook cannot have acted on the request: the host did not resolve,
the connection was refused or never established, or the server reset the connection while we sent
the request or before it answered a byte (a socket closed with the request unread is reset). A
read timeout, a clean close after the request was read, and any HTTP answer (5xx included) are
never retried: the team's code may have run. Every request carries the same ``Idempotency-Key``.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .envelope import ToolResult, failure
from .ssrf import BlockedDestination, Destination, ResolutionFailed, Resolver, resolve_destination, system_resolver

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_MAX_ATTEMPTS = 3
RETRY_BACKOFF_S = 0.05
USER_AGENT = "Switchboard-Tools/1"
_CHUNK = 16 * 1024


class _NothingSent(Exception):
    """The webhook never got the request; safe to try again."""


class _Timeout(Exception):
    pass


class _TooLarge(Exception):
    pass


class _Failed(Exception):
    """The exchange failed after the request may have been read; not retried."""


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    timeout_ms: int
    allow_private: bool = False
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.address, destination.port, timeout=timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination: Destination, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(destination.address, destination.port, timeout=timeout, context=context)
        self._tls_context = context
        self._server_hostname = destination.host

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_hostname)


class WebhookClient:
    """POSTs tool requests; :meth:`post` never raises for anything the webhook or network does."""

    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        tls_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._resolver = resolver
        self._tls = tls_context or ssl.create_default_context()
        self._clock = clock
        self._sleep = sleep
        self.attempts = 0
        """requests started by the last :meth:`post` (for tests and logs)"""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], policy: WebhookPolicy) -> ToolResult:
        started = self._clock()
        deadline = started + policy.timeout_ms / 1000.0

        def elapsed_ms() -> float:
            return max(0.0, (self._clock() - started) * 1000.0)

        self.attempts = 0
        last_reason = "no attempt was made"
        for attempt in range(max(1, policy.max_attempts)):
            if attempt:
                pause = min(RETRY_BACKOFF_S * 2 ** (attempt - 1), deadline - self._clock())
                if pause <= 0:
                    break
                self._sleep(pause)
            try:
                destination = resolve_destination(url, allow_private=policy.allow_private, resolver=self._resolver)
            except BlockedDestination as exc:
                return failure("blocked", "the tool's address is not allowed", elapsed_ms(), note=exc.reason)
            except ResolutionFailed:
                last_reason = "the tool's host name did not resolve"
                continue
            if self._clock() >= deadline:
                break
            self.attempts += 1
            try:
                status, payload = self._exchange(destination, body, headers, deadline, policy.max_response_bytes)
            except _NothingSent as exc:
                last_reason = str(exc)
                continue
            except _Timeout:
                return failure("timeout", f"the tool did not answer within {policy.timeout_ms} ms", elapsed_ms())
            except _TooLarge:
                limit = policy.max_response_bytes
                return failure("error", f"the tool's answer was larger than {limit} bytes", elapsed_ms())
            except _Failed as exc:
                return failure("error", "the tool failed", elapsed_ms(), note=str(exc))
            return _result(status, payload, elapsed_ms())
        if self._clock() >= deadline:
            return failure("timeout", f"the tool did not answer within {policy.timeout_ms} ms", elapsed_ms())
        return failure("error", "the tool could not be reached", elapsed_ms(), note=last_reason)

    def _connection(self, destination: Destination, timeout: float) -> http.client.HTTPConnection:
        if destination.scheme == "https":
            return _PinnedHTTPSConnection(destination, timeout, self._tls)
        return _PinnedHTTPConnection(destination, timeout)

    def _exchange(
        self, destination: Destination, body: bytes, headers: Mapping[str, str], deadline: float, max_bytes: int
    ) -> tuple[int, bytes]:
        def remaining() -> float:
            left = deadline - self._clock()
            if left <= 0:
                raise _Timeout()
            return left

        conn = self._connection(destination, remaining())
        try:
            try:
                conn.connect()
            except ssl.SSLError as exc:
                raise _Failed(f"TLS with the tool failed ({type(exc).__name__})") from None
            except TimeoutError:
                raise _NothingSent("connecting to the tool timed out") from None
            except OSError as exc:
                raise _NothingSent(f"could not connect to the tool ({type(exc).__name__})") from None
            all_headers = {
                "Host": destination.host_header,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            }
            try:
                _set_timeout(conn, remaining())
                conn.request("POST", destination.target, body=body, headers=all_headers)
            except (BrokenPipeError, ConnectionResetError):
                raise _NothingSent("the tool closed the connection before reading the request") from None
            except TimeoutError:
                raise _Timeout() from None
            except OSError as exc:
                raise _Failed(f"sending to the tool failed ({type(exc).__name__})") from None
            try:
                _set_timeout(conn, remaining())
                response = conn.getresponse()
            except http.client.RemoteDisconnected:
                raise _Failed("the tool closed the connection without answering") from None
            except ConnectionResetError:
                raise _NothingSent("the tool reset the connection before reading the request") from None
            except TimeoutError:
                raise _Timeout() from None
            except (OSError, http.client.HTTPException) as exc:
                raise _Failed(f"the tool's answer was malformed ({type(exc).__name__})") from None
            return response.status, _read_capped(conn, response, max_bytes, remaining)
        finally:
            conn.close()


def _set_timeout(conn: http.client.HTTPConnection, seconds: float) -> None:
    conn.timeout = seconds
    if conn.sock is not None:
        conn.sock.settimeout(seconds)


def _read_capped(
    conn: http.client.HTTPConnection, response: http.client.HTTPResponse, max_bytes: int, remaining: Callable[[], float]
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _TooLarge()
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            _set_timeout(conn, remaining())
            chunk = response.read(min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > max_bytes:
                raise _TooLarge()
            chunks.append(chunk)
    except TimeoutError:
        raise _Timeout() from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Failed(f"reading the tool's answer failed ({type(exc).__name__})") from None


def _result(status: int, payload: bytes, latency_ms: float) -> ToolResult:
    parsed: Any = None
    is_json = False
    if payload.strip():
        try:
            parsed = json.loads(payload)
            is_json = True
        except ValueError:
            parsed = None
    if 200 <= status < 300:
        if is_json:
            return ToolResult(outcome="ok", content=parsed, latency_ms=latency_ms, status=status)
        text = payload.decode("utf-8", errors="replace").strip()
        return ToolResult(outcome="ok", content={"result": text} if text else {"ok": True}, latency_ms=latency_ms,
                          status=status)  # fmt: skip
    return failure("error", f"the tool answered HTTP {status}", latency_ms, status=status,
                   detail=parsed if is_json else None)  # fmt: skip
