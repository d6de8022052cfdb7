"""The production :class:`~media_worker.runtime.tools.ToolInvoker`: ``POST /tools/invoke`` on the platform API.

The worker never calls a team's webhook itself. It asks the ``tool_call`` Lambda (behind API
Gateway, IAM-authorised), which reads the tool from the store, signs, applies the SSRF guard and
publishes ``tool.invoked``; this invoker emits nothing. Requests are signed with SigV4 for
``execute-api`` using the task role's credentials (botocore's provider chain; refreshing them may
block, so that runs in a thread) and sent with a shared :class:`httpx.AsyncClient`, so a slow tool
never blocks the event loop. The runner enforces the tool's timeout by cancelling :meth:`invoke`.

Every failure between worker and Lambda becomes an ``error`` result; :meth:`invoke` never raises.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

from switchboard.tools import ToolResult as LambdaResult

from .tools import ToolRequest, ToolResult

log = logging.getLogger(__name__)

INVOKE_PATH = "/tools/invoke"
SERVICE = "execute-api"
CONNECT_RETRIES = 2
"""httpx retries only failed connects (nothing was sent), never a request the Lambda may have run."""


def tool_http_client(*, timeout_s: float = 35.0) -> httpx.AsyncClient:
    """The shared client for tool calls: pooled, connect-only retries, a ceiling above the Lambda's 30 s.

    Building it loads CA certificates (blocking): call it at start-up, or through ``asyncio.to_thread``.
    """
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(retries=CONNECT_RETRIES),
        timeout=httpx.Timeout(timeout_s, connect=3.0),
        follow_redirects=False,
    )


class SigV4Signer:
    """Signs requests for API Gateway (``execute-api``) with refreshable credentials."""

    def __init__(self, credentials: Credentials, *, region: str, service: str = SERVICE) -> None:
        self._credentials = credentials
        self._region = region
        self._service = service

    async def headers(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        frozen = await asyncio.to_thread(self._credentials.get_frozen_credentials)
        return self.sign(frozen, method, url, body, headers)

    def sign(
        self, frozen: ReadOnlyCredentials, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(frozen, self._service, self._region).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}


class LambdaToolInvoker:
    """Runs tool calls through the platform's ``POST /tools/invoke``."""

    def __init__(
        self,
        *,
        api_base_url: str,
        client: httpx.AsyncClient,
        signer: SigV4Signer,
        clock_ms: Callable[[], float] = lambda: time.monotonic() * 1000.0,
    ) -> None:
        self._url = api_base_url.rstrip("/") + INVOKE_PATH
        self._client = client
        self._signer = signer
        self._clock_ms = clock_ms

    async def invoke(self, request: ToolRequest) -> ToolResult:
        started = self._clock_ms()
        body = json.dumps(_payload(request), separators=(",", ":")).encode()
        try:
            headers = await self._signer.headers("POST", self._url, body, {"Content-Type": "application/json"})
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("tool request failed", extra={"tool": request.tool_name, "error": type(exc).__name__})
            return _error(self._clock_ms() - started)
        except Exception as exc:  # credentials or signing: the LLM still gets a result it can recover from
            log.warning("tool request not sent", extra={"tool": request.tool_name, "error": type(exc).__name__})
            return _error(self._clock_ms() - started)
        return _result(response, request, self._clock_ms() - started)


def _payload(request: ToolRequest) -> dict[str, Any]:
    return {
        "call_id": request.call_id,
        "tenant_id": request.tenant_id,
        "caller_number": request.caller_number,
        "tool_call_id": request.tool_call_id,
        "tool_name": request.tool_name,
        "arguments": dict(request.arguments),
    }


def _error(latency_ms: float) -> ToolResult:
    return ToolResult(json.dumps({"error": "the tool failed"}), "error", max(0.0, latency_ms))


def _result(response: httpx.Response, request: ToolRequest, latency_ms: float) -> ToolResult:
    if response.status_code != 200:
        log.warning("tool endpoint refused", extra={"tool": request.tool_name, "status": response.status_code})
        return _error(latency_ms)
    try:
        result = LambdaResult.from_wire(response.json())
    except ValueError:
        log.warning("tool endpoint answered something else", extra={"tool": request.tool_name})
        return _error(latency_ms)
    return ToolResult(result.content_json, result.outcome, max(0.0, latency_ms))
