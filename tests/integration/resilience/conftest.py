"""A media worker whose assistants may fail over: primary fakes (Deepgram, OpenAI, Cartesia) plus a
secondary Deepgram endpoint and a secondary OpenAI-compatible endpoint, each on its own port, and
the worker's breakers on a clock the test moves by hand."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply
from media_worker.app import build_app, preload_lazy_modules
from media_worker.providers import ProviderClients
from media_worker.runtime.breakers import BreakerBoard
from media_worker.runtime.failover import FailoverEndpoints
from media_worker.runtime.providers import SdkProviderFactory
from media_worker.server import MediaServer
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant
from switchboard.models.assistant import ResilienceSettings
from switchboard.store import table_resource
from tests.integration.media_worker.harness import FAST_RETRY, SECRET, WorkerStack, assistant, provider_clients

SECONDARY_REPLY = "Backup here."
DEEPGRAM_KEY = "test-deepgram-key"
OPENAI_KEY = "test-openai-key"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Fakes = tuple[FakeDeepgram, FakeDeepgram, FakeOpenAI, FakeOpenAI, FakeCartesia]


def resilient_assistant(assistant_id: str, **resilience: object) -> Assistant:
    return assistant(assistant_id).model_copy(update={"resilience": ResilienceSettings(**resilience)})  # type: ignore[arg-type]


@dataclass
class ResilientStack:
    stack: WorkerStack
    deepgram_secondary: FakeDeepgram
    openai_secondary: FakeOpenAI
    breakers: BreakerBoard
    clock: ManualClock

    async def add(self, value: Assistant) -> None:
        await self.stack.add_assistant(value)


@pytest.fixture(scope="session", autouse=True)
def _freeze_imported_objects() -> Iterator[None]:
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    async with (
        FakeDeepgram(script_per_connection=True) as deepgram,
        FakeDeepgram(script_per_connection=True) as deepgram_secondary,
        FakeOpenAI() as openai,
        FakeOpenAI(default_reply=TextReply(SECONDARY_REPLY)) as openai_secondary,
        FakeCartesia(ms_per_char=40.0) as cartesia,
    ):
        yield deepgram, deepgram_secondary, openai, openai_secondary, cartesia


@pytest.fixture
def clients(aws: LocalResources, fakes: Fakes) -> ProviderClients:
    deepgram, _, openai, _, cartesia = fakes
    built = provider_clients(deepgram, openai, cartesia)
    preload_lazy_modules()
    gc.collect()
    gc.freeze()
    return built


@pytest.fixture
async def resilient(
    aws: LocalResources,
    clients: ProviderClients,
    fakes: Fakes,
    tmp_path: Path,
) -> AsyncIterator[ResilientStack]:
    deepgram, deepgram_secondary, openai, openai_secondary, cartesia = fakes
    clock = ManualClock()
    breakers = BreakerBoard(clock=clock)
    endpoints = FailoverEndpoints(
        deepgram_ws_urls=(deepgram_secondary.ws_url,), deepgram_api_key=DEEPGRAM_KEY,
        openai_base_url=openai_secondary.base_url, openai_api_key=OPENAI_KEY,
    )  # fmt: skip
    providers = SdkProviderFactory(clients, openai_api_key=OPENAI_KEY, retry=FAST_RETRY, breakers=breakers,
                                   endpoints=endpoints)  # fmt: skip
    env = {**os.environ, "SWITCHBOARD_EVENT_SPOOL": str(tmp_path / "events.jsonl"), "SWITCHBOARD_STAGE": "test"}
    app = await build_app(env, stream_secret=SECRET, providers=providers)
    await app.start()
    server = MediaServer(app)
    await server.start("127.0.0.1", 0)
    table = await asyncio.to_thread(table_resource)
    stack = WorkerStack(aws, deepgram, openai, cartesia, app, server, table)
    await stack.add_assistant(assistant())
    try:
        yield ResilientStack(stack, deepgram_secondary, openai_secondary, breakers, clock)
    finally:
        await stack.aclose()
        await providers.aclose()
