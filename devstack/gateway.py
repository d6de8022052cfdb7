"""A local API Gateway HTTP API: the platform's routes, served to the real Lambda handlers.

:class:`LocalGateway` listens on loopback and, for each request, does what API Gateway (HTTP API,
payload format 2.0) does:

1. matches the route in :data:`switchboard.resources.HTTP_ROUTES` (an exact path before a greedy
   ``{proxy+}``; ``ANY`` matches every method); no match → 404 ``{"message": "Not Found"}``;
2. for routes where :func:`switchboard.resources.requires_api_key` holds, calls the authorizer
   Lambda (``functions.authorizer.handler``) with a REQUEST authorizer event (identity source: the
   ``Authorization`` header): missing → 401, denied → 403, allowed → its ``context`` goes to
   ``requestContext.authorizer.lambda``;
3. invokes ``functions.<name>.handler.lambda_handler(event, context)`` in-process with a
   :class:`FakeLambdaContext` and turns its response into the HTTP answer.

Bodies that are not JSON or text are base64-encoded (``isBase64Encoded``), as API Gateway does.
``/tools/invoke`` is IAM-authorised in AWS (SigV4 from the media worker's task role); the local
gateway accepts any request there. Handlers read their settings from ``os.environ``, as on Lambda.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from switchboard.resources import HTTP_ROUTES, requires_api_key

ACCOUNT_ID = "000000000000"
API_ID = "localgw"
REGION = "us-east-1"
Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger(__name__)


@dataclass
class FakeLambdaContext:
    """What the Lambda runtime passes as ``context`` (the attributes Powertools reads)."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    timeout_s: float = 30.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    function: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def greedy_prefix(self) -> str | None:
        return self.path[: -len("{proxy+}")] if self.path.endswith("/{proxy+}") else None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route takes the request, else ``None``."""
        if self.method not in {"ANY", method}:
            return None
        prefix = self.greedy_prefix
        if prefix is None:
            return {} if path == self.path else None
        if path.startswith(prefix) and len(path) > len(prefix):
            return {"proxy": path[len(prefix) :]}
        return None


ROUTES: tuple[Route, ...] = tuple(Route(m, p, f) for m, p, f in HTTP_ROUTES)


def find_route(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would pick: exact paths first, then the longest greedy prefix."""
    exact = [(r, p) for r in routes if r.greedy_prefix is None and (p := r.match(method, path)) is not None]
    greedy = [(r, p) for r in routes if r.greedy_prefix is not None and (p := r.match(method, path)) is not None]
    for candidates in (exact, sorted(greedy, key=lambda rp: -len(rp[0].path))):
        specific = [c for c in candidates if c[0].method == method]
        if specific or candidates:
            return (specific or candidates)[0]
    return None


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in {"application/json", "application/problem+json"} or kind.endswith(
        "+json"
    )


def http_api_event(
    method: str,
    raw_path: str,
    *,
    route: Route,
    path_parameters: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes = b"",
    raw_query: str = "",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event for one request."""
    lowered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers.items():
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    host = lowered.get("host", "127.0.0.1")
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route.key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        if _is_text(lowered.get("content-type", "")):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def authorizer_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0, identity source ``$request.header.Authorization``)."""
    context = event["requestContext"]
    route_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/$default/{context['http']['method']}" + str(
        event["rawPath"]
    )
    authorization = event["headers"].get("authorization")
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": [authorization] if authorization else [],
        "routeKey": event["routeKey"],
        "rawPath": event["rawPath"],
        "rawQueryString": event["rawQueryString"],
        "cookies": list(event.get("cookies", [])),
        "headers": dict(event["headers"]),
        "queryStringParameters": dict(event.get("queryStringParameters") or {}),
        "requestContext": {k: v for k, v in context.items() if k != "authorizer"},
        "pathParameters": dict(event.get("pathParameters") or {}),
    }


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, message: str) -> GatewayResponse:
    return GatewayResponse(status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode())


def _lambda_response(result: Any) -> GatewayResponse:
    """API Gateway's reading of a payload-2.0 Lambda response (a bare value is a 200 JSON body)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return GatewayResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode())
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values)
    headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return GatewayResponse(int(result["statusCode"]), headers, body)


def load_handler(function: str) -> Handler:
    module = importlib.import_module(f"functions.{function}.handler")
    handler: Handler = module.lambda_handler
    return handler


class Gateway:
    """Routing, authorization and invocation, without the socket (see :class:`LocalGateway`)."""

    def __init__(self, *, routes: tuple[Route, ...] = ROUTES, loader: Callable[[str], Handler] = load_handler) -> None:
        self._routes = routes
        self._loader = loader

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, *, source_ip: str = "127.0.0.1"
    ) -> GatewayResponse:
        parts = urlsplit(target)
        found = find_route(method, parts.path, self._routes)
        if found is None:
            return _json_response(404, "Not Found")
        route, path_parameters = found
        event = http_api_event(method, parts.path, route=route, path_parameters=path_parameters, headers=headers,
                               body=body, raw_query=parts.query, source_ip=source_ip)  # fmt: skip
        if requires_api_key(method, parts.path):
            if not event["headers"].get("authorization"):
                return _json_response(401, "Unauthorized")
            verdict = self._loader("authorizer")(authorizer_event(event), FakeLambdaContext("authorizer"))
            if not isinstance(verdict, dict) or verdict.get("isAuthorized") is not True:
                return _json_response(403, "Forbidden")
            event["requestContext"]["authorizer"] = {"lambda": dict(verdict.get("context") or {})}
        try:
            result = self._loader(route.function)(event, FakeLambdaContext(route.function))
        except Exception:  # API Gateway answers 500 when the integration fails
            log.exception("lambda %s failed", route.function)
            return _json_response(500, "Internal Server Error")
        return _lambda_response(result)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name: value for name, value in self.headers.items()}
        response = self.server.gateway.handle(self.command, self.path, headers, body, source_ip=self.client_address[0])
        self.send_response(response.status)
        names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its tool timeout passed)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # requests are logged by the handlers; keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        super().__init__(address, _RequestHandler)
        self.gateway = gateway


class LocalGateway:
    """:class:`Gateway` on a loopback port, served from a background thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, gateway: Gateway | None = None) -> None:
        self._server = _Server((host, port), gateway or Gateway())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalGateway:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="local-gateway", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    @contextmanager
    def running(self) -> Iterator[LocalGateway]:
        self.start()
        try:
            yield self
        finally:
            self.close()
