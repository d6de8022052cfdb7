"""Fixtures: the fakes on loopback and a running media worker wired to them and to moto."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from media_worker.app import preload_lazy_modules
from media_worker.providers import ProviderClients
from switchboard.local_aws import LocalResources

from .harness import WorkerStack, provider_clients, start_stack


@pytest.fixture(scope="session", autouse=True)
def _freeze_imported_objects() -> Iterator[None]:
    """As the worker does after start-up: keep the collector off the long-lived SDK objects."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
def clients(aws: LocalResources, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia) -> ProviderClients:
    """SDK clients on the fakes, built outside the event loop; then the heap is frozen (moto has loaded
    its services by now), as the worker does after start-up, so no full collection stalls the loop."""
    built = provider_clients(deepgram, openai, cartesia)
    preload_lazy_modules()
    gc.collect()
    gc.freeze()
    return built


@pytest.fixture
async def deepgram() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram(script_per_connection=True) as fake:
        yield fake


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def cartesia() -> AsyncIterator[FakeCartesia]:
    async with FakeCartesia(ms_per_char=40.0) as fake:
        yield fake


@pytest.fixture
async def stack(
    aws: LocalResources,
    clients: ProviderClients, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia, tmp_path: Path
) -> AsyncIterator[WorkerStack]:
    worker = await start_stack(aws, deepgram, openai, cartesia, clients=clients, spool=tmp_path / "events.jsonl")
    try:
        yield worker
    finally:
        await worker.aclose()
