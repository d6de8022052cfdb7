"""Fixtures for the provider adapters against their wire-level fakes on loopback.

SDK clients are built in synchronous fixtures: construction loads TLS trust stores (tens of
ms of CPU), which the worker does once at start-up and must never do on the event loop.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from cartesia import AsyncCartesia
from deepgram import AsyncDeepgramClient
from openai import AsyncOpenAI

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from media_worker.providers import RetryPolicy, cartesia_client, deepgram_client, openai_client


@pytest.fixture(scope="session", autouse=True)
def _freeze_imported_objects() -> Iterator[None]:
    """Move everything imported so far out of the collector's reach, as the worker should do after
    start-up: otherwise a full collection over the SDKs' objects blocks the loop for 150-300 ms."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Three attempts, no real waiting."""
    return RetryPolicy(max_attempts=3, sleep=_no_sleep)


@pytest.fixture
async def deepgram_fake() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram(script=["I need to book a table for two.", "Tomorrow at seven."]) as fake:
        yield fake


@pytest.fixture
def deepgram_sdk(deepgram_fake: FakeDeepgram) -> AsyncDeepgramClient:
    return deepgram_client("test-deepgram-key", ws_url=deepgram_fake.ws_url, http_url=deepgram_fake.http_url)


@pytest.fixture
def deepgram_sdk_wrong_key(deepgram_fake: FakeDeepgram) -> AsyncDeepgramClient:
    return deepgram_client("wrong-key", ws_url=deepgram_fake.ws_url, http_url=deepgram_fake.http_url)


@pytest.fixture
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_sdk(openai_fake: FakeOpenAI) -> AsyncOpenAI:
    return openai_client("test-openai-key", base_url=openai_fake.base_url)


@pytest.fixture
def openai_sdk_wrong_key(openai_fake: FakeOpenAI) -> AsyncOpenAI:
    return openai_client("wrong-key", base_url=openai_fake.base_url)


@pytest.fixture
async def cartesia_fake() -> AsyncIterator[FakeCartesia]:
    async with FakeCartesia() as fake:
        yield fake


@pytest.fixture
def cartesia_sdk(cartesia_fake: FakeCartesia) -> AsyncCartesia:
    return cartesia_client("test-cartesia-key", base_url=cartesia_fake.http_url, ws_url=cartesia_fake.ws_url)


@pytest.fixture
def cartesia_sdk_wrong_key(cartesia_fake: FakeCartesia) -> AsyncCartesia:
    return cartesia_client("wrong-key", base_url=cartesia_fake.http_url, ws_url=cartesia_fake.ws_url)
