"""The media worker's composition root: everything a worker process needs, built from the environment.

:func:`build_app` reads configuration from ``env`` and does every blocking step (Secrets
Manager, SDK client construction, boto3 resources) in a thread, once, before serving. Tests pass
the stream-token secret, the tool invoker, call control and provider settings directly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from media_worker.providers import ProviderClients, ProviderSettings, RetryPolicy
from media_worker.runtime.apology import ApologyClips
from media_worker.runtime.assistants import AssistantCache
from media_worker.runtime.call_compliance import ComplianceServices
from media_worker.runtime.call_control import CallControl, StreamOnlyCallControl
from media_worker.runtime.carrier_accounts import carrier_call_control
from media_worker.runtime.drain import ActiveCalls, TaskProtection
from media_worker.runtime.failover import CALL_BEING_OPENED, FailoverEndpoints
from media_worker.runtime.metrics import MetricsEmitter
from media_worker.runtime.outcome import CallIdentity, CallStore, DynamoCallStore
from media_worker.runtime.providers import ProviderFactory, SdkProviderFactory
from media_worker.runtime.publisher import EventPublisher
from media_worker.runtime.session import CallSession, CarrierConnection, SessionServices
from media_worker.runtime.tools import ToolInvoker, ToolRequest, ToolResult
from switchboard.resources import (
    ENV_EVENT_BUS,
    ENV_PORT,
    ENV_PUBLIC_API_URL,
    ENV_STAGE,
    ENV_STREAM_TOKEN_SECRET,
    MEDIA_WORKER_PORT,
)
from switchboard.store import table_resource
from switchboard.stream_token import InMemoryTokenLedger, StreamClaims, TokenLedger, redeem_stream_token

ENV_DRAIN_LIMIT = "SWITCHBOARD_DRAIN_LIMIT_S"
ENV_SPOOL_PATH = "SWITCHBOARD_EVENT_SPOOL"
ENV_ASSISTANT_TTL = "SWITCHBOARD_ASSISTANT_CACHE_TTL_S"
ENV_ECS_AGENT_URI = "ECS_AGENT_URI"
DEFAULT_SPOOL = Path("/tmp/switchboard-events.jsonl")  # noqa: S108 - the task's one writable path
DRAIN_GOODBYE = "I'm sorry, I have to end this call now. Please call back in a moment. Goodbye!"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    port: int = MEDIA_WORKER_PORT
    stage: str = "local"
    event_bus: str = ""
    drain_limit_s: float = 90.0
    spool_path: Path | None = DEFAULT_SPOOL
    assistant_ttl_s: float = 60.0
    ecs_agent_uri: str | None = None
    drain_goodbye: str = DRAIN_GOODBYE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerConfig:
        spool = env.get(ENV_SPOOL_PATH)
        return cls(
            port=int(env.get(ENV_PORT) or MEDIA_WORKER_PORT),
            stage=env.get(ENV_STAGE) or "local",
            event_bus=env.get(ENV_EVENT_BUS, ""),
            drain_limit_s=float(env.get(ENV_DRAIN_LIMIT) or 90.0),
            spool_path=Path(spool) if spool else DEFAULT_SPOOL,
            assistant_ttl_s=float(env.get(ENV_ASSISTANT_TTL) or 60.0),
            ecs_agent_uri=env.get(ENV_ECS_AGENT_URI) or None,
        )


class UnconfiguredToolInvoker:
    """Used when no invoker is wired in: every webhook tool call comes back as an error result."""

    async def invoke(self, request: ToolRequest) -> ToolResult:
        return ToolResult('{"error": "tools are not available on this worker"}', "error")


@dataclass
class MediaWorkerApp:
    """Worker-wide state: authentication, configuration cache, providers, publishing, live calls."""

    config: WorkerConfig
    stream_secret: bytes
    assistants: AssistantCache
    providers: ProviderFactory
    store: CallStore
    publisher: EventPublisher
    metrics: MetricsEmitter
    tool_invoker: ToolInvoker
    call_control: CallControl
    ledger: TokenLedger = field(default_factory=InMemoryTokenLedger)
    apology: ApologyClips = field(default_factory=ApologyClips)
    protection: TaskProtection | None = None
    compliance: ComplianceServices | None = None
    """Storage plan, BAA rule, recording, PCI, transcripts, HIPAA logs (``runtime.call_compliance``)."""
    active: ActiveCalls = field(init=False)
    _gauge: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.active = ActiveCalls(self.protection)

    async def start(self) -> None:
        await self.publisher.start()
        self._gauge = asyncio.create_task(self.metrics.active_calls_task(lambda: len(self.active)), name="gauge-task")

    def authenticate(self, token: str | None) -> StreamClaims:
        """Redeem the stream token; raises ``StreamTokenError`` (missing, malformed, forged, expired, reused)."""
        return redeem_stream_token(self.stream_secret, token, self.ledger)

    async def open_call(self, identity: CallIdentity, carrier: CarrierConnection) -> CallSession:
        """Load the assistant (cached) and build the call's session; raises ``NotFound``."""
        assistant = await self.assistants.get(identity.tenant_id, identity.assistant_id)
        compliance = await self.compliance.open(identity, assistant) if self.compliance is not None else None
        opening = CALL_BEING_OPENED.set(identity.call_id)  # failover decisions at build time carry the call id
        try:
            providers = await self.providers.for_call(assistant)
        finally:
            CALL_BEING_OPENED.reset(opening)
        services = SessionServices(
            store=self.store,
            publish=self.publisher.publish,
            tool_invoker=self.tool_invoker,
            call_control=self.call_control,
            apology=self.apology,
            on_turn_latency=self.metrics.turn,
        )
        return CallSession(identity, assistant, providers, carrier, services, compliance=compliance)

    async def aclose(self) -> None:
        if self._gauge is not None:
            self._gauge.cancel()
            await asyncio.gather(self._gauge, return_exceptions=True)
        await self.publisher.aclose(timeout_s=10.0)
        if self.protection is not None:
            await self.protection.settled()
            await self.protection.aclose()


def preload_lazy_modules() -> None:
    """Modules the SDKs import on first use (measured: the first connect/request of a call); importing
    them mid-call would block the event loop, so the worker imports them at start-up."""
    import anyio._backends._asyncio  # noqa: F401  (httpx2/openai)
    import websockets.asyncio.client  # noqa: F401  (cartesia, deepgram)


def lambda_tool_invoker(env: Mapping[str, str]) -> ToolInvoker | None:
    """The production invoker (``POST /tools/invoke`` on the platform API, SigV4) when the API URL is
    configured; blocking (credentials, TLS context): call it in a thread."""
    from media_worker.runtime.tool_invoker_http import LambdaToolInvoker, SigV4Signer, tool_http_client

    api_url = env.get(ENV_PUBLIC_API_URL)
    session = boto3.Session()
    credentials = session.get_credentials()
    if not api_url or credentials is None:
        return None
    signer = SigV4Signer(credentials, region=session.region_name or "us-east-1")
    return LambdaToolInvoker(api_base_url=api_url, client=tool_http_client(), signer=signer)


def _secret_text(arn: str) -> str:
    value: str = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return value


async def build_app(
    env: Mapping[str, str] | None = None,
    *,
    stream_secret: bytes | None = None,
    tool_invoker: ToolInvoker | None = None,
    call_control: CallControl | None = None,
    providers: ProviderFactory | None = None,
    retry: RetryPolicy | None = None,
    events_client: Any = None,
) -> MediaWorkerApp:
    """Everything from ``env`` (default ``os.environ``); blocking set-up runs in threads."""
    env = os.environ if env is None else env
    config = WorkerConfig.from_env(env)
    if stream_secret is None:
        stream_secret = (await asyncio.to_thread(_secret_text, env[ENV_STREAM_TOKEN_SECRET])).encode()
    await asyncio.to_thread(preload_lazy_modules)
    if providers is None:
        settings = ProviderSettings.from_env(env)
        clients = await asyncio.to_thread(ProviderClients.from_settings, settings)
        providers = SdkProviderFactory(
            clients, openai_api_key=settings.openai_api_key, retry=retry, endpoints=FailoverEndpoints.from_env(env)
        )
    if tool_invoker is None:
        tool_invoker = await asyncio.to_thread(lambda_tool_invoker, env)
    if call_control is None:
        call_control = await asyncio.to_thread(carrier_call_control, env)
    table = await asyncio.to_thread(table_resource)
    compliance = await asyncio.to_thread(ComplianceServices.from_env, env, table)
    client_factory = (lambda: events_client) if events_client is not None else (lambda: boto3.client("events"))
    return MediaWorkerApp(
        config=config,
        stream_secret=stream_secret,
        assistants=AssistantCache.from_table(table, ttl_s=config.assistant_ttl_s),
        providers=providers,
        store=DynamoCallStore(table),
        publisher=EventPublisher(
            bus_name=config.event_bus, client_factory=client_factory, spool_path=config.spool_path
        ),
        metrics=MetricsEmitter(stage=config.stage),
        tool_invoker=tool_invoker or UnconfiguredToolInvoker(),
        call_control=call_control or StreamOnlyCallControl(),
        protection=TaskProtection(config.ecs_agent_uri),
        compliance=compliance,
    )
