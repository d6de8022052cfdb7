"""Fixtures: the fakes on loopback and a running media worker wired to them and to moto."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from switchboard.local_aws import LocalResources

from .harness import WorkerStack, start_stack


@pytest.fixture(scope="session", autouse=True)
def _freeze_imported_objects() -> Iterator[None]:
    """As the worker does after start-up: keep the collector off the long-lived SDK objects."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


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
    aws: LocalResources, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia, tmp_path: Path
) -> AsyncIterator[WorkerStack]:
    worker = await start_stack(aws, deepgram, openai, cartesia, spool=tmp_path / "events.jsonl")
    try:
        yield worker
    finally:
        await worker.aclose()
