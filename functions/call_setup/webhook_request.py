"""The parts of an API Gateway HTTP API (payload v2) request a carrier webhook needs."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    route_path: str
    """The route as defined (``/twilio/voice``), without any stage prefix."""
    body: bytes
    headers: Mapping[str, str]
    """Lower-cased header names."""
    raw_path: str = ""
    raw_query: str = ""
    host: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @classmethod
    def from_http_api_event(cls, event: Mapping[str, Any], *, route_path: str) -> WebhookRequest:
        raw_body = event.get("body") or ""
        body = base64.b64decode(raw_body) if event.get("isBase64Encoded") else raw_body.encode("utf-8")
        context = event.get("requestContext") or {}
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        return cls(
            route_path=route_path,
            body=body,
            headers=headers,
            raw_path=str(event.get("rawPath") or route_path),
            raw_query=str(event.get("rawQueryString") or ""),
            host=context.get("domainName") or headers.get("host"),
            query={str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    outcome: str
    """A short label for logs and metrics (``started``, ``busy``, ``signature_rejected``...)."""
    body: str = ""
    content_type: str = "text/plain"
    call_id: str | None = None
    """The call this webhook concerns, when known: the correlation id for logs."""
