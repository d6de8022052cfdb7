"""Fixtures for the provider adapters against their wire-level fakes on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from media_worker.providers import RetryPolicy


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
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def cartesia_fake() -> AsyncIterator[FakeCartesia]:
    async with FakeCartesia() as fake:
        yield fake
