"""Drive the admin API Lambda in-process with API Gateway v2 (HTTP API) events built from a captured one."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

EVENTS = Path(__file__).resolve().parents[2] / "events"


@dataclass
class FakeLambdaContext:
    function_name: str = "switchboard-admin-api"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:switchboard-admin-api"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "5f0c7d3e-0000-4000-8000-000000000001"
    log_group_name: str = "/aws/lambda/switchboard-admin-api"
    log_stream_name: str = "2026/11/25/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))

    def json(self) -> Any:
        return json.loads(self.text)


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    tenant_id: str | None = None,
    authorizer_context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The captured HTTP API event with this request's method, path, query, headers, body and authorizer."""
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "admin_http_api_request.json").read_text()))
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"proxy": path.removeprefix("/v1/")}
    if query:
        event["rawQueryString"] = urlencode(query, quote_via=quote)
        event["queryStringParameters"] = dict(query)
    else:
        event["rawQueryString"] = ""
        event.pop("queryStringParameters", None)
    event_headers = {k: v for k, v in event["headers"].items() if k not in {"authorization", "content-length"}}
    event_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    if text is None:
        event.pop("body", None)
    else:
        event["body"] = text
        event_headers["content-length"] = str(len(text.encode()))
    event["isBase64Encoded"] = False
    event["headers"] = event_headers
    context = authorizer_context
    if context is None and tenant_id is not None:
        context = {"tenant_id": tenant_id, "key_id": "key_test"}
    if context is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"lambda": context}
    return event


def invoke(event: dict[str, Any]) -> ApiResponse:
    from functions.admin_api.handler import lambda_handler

    result = lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    text = result.get("body") or ""
    if result.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return ApiResponse(status=int(result["statusCode"]), headers=dict(result.get("headers") or {}), text=text)


def call(method: str, path: str, **kwargs: Any) -> ApiResponse:
    return invoke(http_event(method, path, **kwargs))


def number_path(number: str) -> str:
    return "/v1/numbers/" + quote(number, safe="")
