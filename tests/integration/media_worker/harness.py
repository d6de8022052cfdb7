"""The media worker under test: real server on loopback, real SDK adapters, wire-level fakes, moto.

``WorkerStack`` owns the fakes, the worker app and server, and the moto-backed table and bus.
Blocking AWS calls (creating records, reading the post_call queue) run in threads so the
event loop under test never stalls.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from media_worker.app import MediaWorkerApp, build_app
from media_worker.providers import ProviderClients, ProviderSettings, RetryPolicy
from media_worker.runtime.providers import SdkProviderFactory
from media_worker.runtime.tools import ToolInvoker
from media_worker.server import MediaServer
from switchboard.caller import Carrier, SimulatedCaller
from switchboard.events import CallEnded, parse_event
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, CallRecord, ToolDefinition, TurnTaking
from switchboard.store import create_assistant, table_resource
from switchboard.store.calls import create_call, get_call
from switchboard.stream_token import issue_stream_token

SECRET = b"integration-stream-secret-0123456789"
TENANT = "tn_media"
GREETING = "Hi there!"
FAST_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0)


def assistant(assistant_id: str = "as_media", *, tools: tuple[ToolDefinition, ...] = (), **turns: Any) -> Assistant:
    return Assistant(
        assistant_id=assistant_id,
        tenant_id=TENANT,
        name="Test receptionist",
        system_prompt="You are a helpful receptionist.",
        first_message=GREETING,
        turn_taking=TurnTaking(**turns),
        tools=tools,
    )


@dataclass
class PlacedCall:
    call_id: str
    carrier_call_id: str
    token: str


@dataclass
class WorkerStack:
    aws: LocalResources
    deepgram: FakeDeepgram
    openai: FakeOpenAI
    cartesia: FakeCartesia
    app: MediaWorkerApp
    server: MediaServer
    table: Any
    seen_ended: dict[str, CallEnded] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"

    async def add_assistant(self, value: Assistant) -> None:
        await asyncio.to_thread(create_assistant, self.table, TENANT, value)

    async def place_call(self, *, carrier: Carrier = "twilio", assistant_id: str = "as_media") -> PlacedCall:
        """A call record as call setup leaves it (ringing), and its stream token."""
        record = _record(carrier, assistant_id)
        await asyncio.to_thread(create_call, self.table, record)
        return self._placed(record)

    @staticmethod
    def _placed(record: CallRecord) -> PlacedCall:
        assert record.assistant_id is not None
        token = issue_stream_token(
            SECRET, tenant_id=TENANT, call_id=record.call_id, assistant_id=record.assistant_id
        )
        return PlacedCall(record.call_id, record.carrier_call_id, token)

    async def place_calls(self, count: int, *, carrier: Carrier = "twilio") -> list[PlacedCall]:
        """``count`` calls, created one after another in one thread (moto's server is not thread-safe)."""
        records = [_record(carrier) for _ in range(count)]

        def create_all() -> None:
            for record in records:
                create_call(self.table, record)

        await asyncio.to_thread(create_all)
        return [self._placed(record) for record in records]

    def caller(self, call: PlacedCall, *, carrier: Carrier = "twilio", **kwargs: Any) -> SimulatedCaller:
        return SimulatedCaller(
            f"{self.url}/{carrier}", carrier=carrier, token=call.token, call_id=call.carrier_call_id, **kwargs
        )

    async def call_ended(self, call_id: str, *, timeout_s: float = 20.0) -> CallEnded:
        """The ``call.ended`` event that reached the post_call queue through EventBridge."""
        async with asyncio.timeout(timeout_s):
            while call_id not in self.seen_ended:
                for event in await asyncio.to_thread(_receive, self.aws.queues["post_call"]):
                    self.seen_ended[event.call_id] = event
        return self.seen_ended[call_id]

    async def call_status(self, call_id: str) -> str:
        record = await asyncio.to_thread(get_call, self.table, TENANT, call_id)
        return record.status

    async def aclose(self) -> None:
        await self.server.aclose()


def _record(carrier: Carrier, assistant_id: str = "as_media") -> CallRecord:
    """A call record as call setup leaves it: ringing."""
    return CallRecord(
        call_id="ca_" + uuid.uuid4().hex[:16], tenant_id=TENANT, assistant_id=assistant_id, carrier=carrier,
        carrier_call_id=("CA" if carrier == "twilio" else "v3:") + uuid.uuid4().hex,
        from_number="+14155550100", to_number="+14155550199", started_at=datetime.now(UTC),
    )  # fmt: skip


def provider_clients(deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia) -> ProviderClients:
    """The SDK clients pointed at the fakes (blocking: build them outside the event loop)."""
    settings = ProviderSettings(
        deepgram_api_key="test-deepgram-key", deepgram_ws_url=deepgram.ws_url, deepgram_http_url=deepgram.http_url,
        openai_api_key="test-openai-key", openai_base_url=openai.base_url,
        cartesia_api_key="test-cartesia-key", cartesia_base_url=cartesia.http_url, cartesia_ws_url=cartesia.ws_url,
    )  # fmt: skip
    return ProviderClients.from_settings(settings)


def _receive(queue_url: str) -> list[CallEnded]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    events = []
    for message in messages:
        event = parse_event(json.loads(message["Body"])["detail"])
        assert isinstance(event, CallEnded)
        events.append(event)
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events


async def start_stack(
    aws: LocalResources,
    deepgram: FakeDeepgram,
    openai: FakeOpenAI,
    cartesia: FakeCartesia,
    *,
    spool: Path,
    clients: ProviderClients,
    tool_invoker: ToolInvoker | None = None,
    env_extra: dict[str, str] | None = None,
) -> WorkerStack:
    env = {
        **os.environ,
        "DEEPGRAM_API_KEY": "test-deepgram-key",
        "DEEPGRAM_WS_URL": deepgram.ws_url,
        "DEEPGRAM_HTTP_URL": deepgram.http_url,
        "OPENAI_API_KEY": "test-openai-key",
        "OPENAI_BASE_URL": openai.base_url,
        "CARTESIA_API_KEY": "test-cartesia-key",
        "CARTESIA_BASE_URL": cartesia.http_url,
        "CARTESIA_WS_URL": cartesia.ws_url,
        "SWITCHBOARD_EVENT_SPOOL": str(spool),
        "SWITCHBOARD_STAGE": "test",
        **(env_extra or {}),
    }
    providers = SdkProviderFactory(clients, openai_api_key="test-openai-key", retry=FAST_RETRY)
    app = await build_app(env, stream_secret=SECRET, tool_invoker=tool_invoker, providers=providers)
    await app.start()
    server = MediaServer(app)
    await server.start("127.0.0.1", 0)
    table = await asyncio.to_thread(table_resource)
    stack = WorkerStack(aws, deepgram, openai, cartesia, app, server, table)
    await stack.add_assistant(assistant())
    return stack
