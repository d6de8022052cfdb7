"""Definitions of the platform's AWS resources, shared by the CDK stack and the local stack.

The CDK constructs in ``infra/`` and the local emulation (moto) both build their
table, bucket, bus and rules from these specs, so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .events import EVENT_SOURCE


@dataclass(frozen=True, slots=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    partition_key: str
    sort_key: str
    ttl_attribute: str
    indexes: tuple[IndexSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """An EventBridge rule that feeds one consumer through an SQS queue."""

    name: str
    consumer: str
    pattern: dict[str, Any] = field(hash=False)
    description: str = ""


TABLE = TableSpec(
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    indexes=(IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),),
)
"""The single table: tenants, API keys, assistants, numbers, calls and idempotency records."""

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        name="CallEndedToPostCall",
        consumer="post_call",
        pattern={"source": [EVENT_SOURCE], "detail-type": ["call.ended"]},
        description="call.ended -> SQS -> post_call (analysis, CRM writeback, cost)",
    ),
)

# Environment variables the runtimes read. The CDK stack sets them; the local stack too.
ENV_TABLE = "SWITCHBOARD_TABLE"
ENV_BUCKET = "SWITCHBOARD_BUCKET"
ENV_EVENT_BUS = "SWITCHBOARD_EVENT_BUS"
ENV_STREAM_TOKEN_SECRET = "SWITCHBOARD_STREAM_TOKEN_SECRET_ARN"
ENV_PROVIDER_SECRET = "SWITCHBOARD_PROVIDER_SECRET_ARN"
ENV_OPERATOR_SECRET = "SWITCHBOARD_OPERATOR_SECRET_ARN"
ENV_MEDIA_WSS_URL = "SWITCHBOARD_MEDIA_WSS_URL"
ENV_PUBLIC_API_URL = "SWITCHBOARD_PUBLIC_API_URL"
ENV_STAGE = "SWITCHBOARD_STAGE"
ENV_CARRIER_SECRET = "SWITCHBOARD_CARRIER_SECRET_ARN"
ENV_PORT = "SWITCHBOARD_PORT"

MEDIA_WORKER_PORT = 8080
"""The port the media worker listens on (WebSocket media streams and ``/healthz``)."""

PROVIDER_KEY_ENV: dict[str, str] = {
    # field of the provider-keys JSON secret -> environment variable the media worker reads
    "deepgram": "DEEPGRAM_API_KEY",
    "openai": "OPENAI_API_KEY",
    "cartesia": "CARTESIA_API_KEY",
}
"""On Fargate these arrive as ECS secrets (injected from Secrets Manager), never as plain env."""

# CloudWatch metrics (EMF) shared by the media worker, the dashboard, alarms and autoscaling.
METRIC_NAMESPACE = "Switchboard"
METRIC_ACTIVE_CALLS = "ActiveCalls"
METRIC_VOICE_TO_VOICE_MS = "VoiceToVoiceMs"
METRIC_DIMENSION_STAGE = "Stage"

HTTP_ROUTES: tuple[tuple[str, str, str], ...] = (
    # (method, path, function) — the same routes the local gateway serves.
    ("POST", "/twilio/voice", "call_setup"),
    ("POST", "/twilio/status", "call_setup"),
    ("POST", "/telnyx/webhook", "call_setup"),
    ("POST", "/tools/invoke", "tool_call"),
    ("GET", "/v1/openapi.json", "admin_api"),
    ("ANY", "/v1/{proxy+}", "admin_api"),
)
"""API Gateway routes; ``/v1/*`` sits behind the tenant API-key authorizer (except openapi.json)."""

API_KEY_ROUTE_PREFIX = "/v1/"
PUBLIC_API_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/v1/openapi.json")})


def requires_api_key(method: str, path: str) -> bool:
    """Whether a route sits behind the tenant API-key authorizer (webhooks verify carrier signatures)."""
    return path.startswith(API_KEY_ROUTE_PREFIX) and (method, path) not in PUBLIC_API_ROUTES
