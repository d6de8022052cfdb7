"""Fixtures: the media worker harness (fakes, moto) with recording settings per test, and the worker's JSON logs."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from media_worker.providers import ProviderClients
from media_worker.runtime.logs import configure_logging
from switchboard.local_aws import LocalResources
from tests.integration.media_worker.conftest import (  # noqa: F401 - fixtures shared with the worker tests
    _freeze_imported_objects,
    cartesia,
    clients,
    deepgram,
    openai,
)
from tests.integration.media_worker.harness import WorkerStack, start_stack

SEGMENT_S = "1"
MakeStack = Callable[..., Awaitable[WorkerStack]]


@pytest.fixture
async def make_stack(
    aws: LocalResources, clients: ProviderClients, deepgram: FakeDeepgram, openai: FakeOpenAI,  # noqa: F811
    cartesia: FakeCartesia, tmp_path: Path,  # noqa: F811
) -> AsyncIterator[MakeStack]:  # fmt: skip
    """``await make_stack(**env)``: a worker recording in 1 s segments, with extra environment."""
    stacks: list[WorkerStack] = []

    async def make(**env: str) -> WorkerStack:
        extra = {"SWITCHBOARD_RECORDING_SEGMENT_S": SEGMENT_S, **env}
        worker = await start_stack(aws, deepgram, openai, cartesia, clients=clients,
                                   spool=tmp_path / f"events-{len(stacks)}.jsonl", env_extra=extra)  # fmt: skip
        stacks.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in stacks:
            await worker.aclose()


@pytest.fixture
def worker_logs() -> Iterator[io.StringIO]:
    """The worker's own logging set-up (JSON lines through the redaction filter) into a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@dataclass
class Recording:
    channels: int
    rate: int
    width: int
    caller: np.ndarray
    agent: np.ndarray

    @property
    def seconds(self) -> float:
        return len(self.caller) / self.rate


def parse_wav(data: bytes) -> Recording:
    with wave.open(io.BytesIO(data)) as wav:
        frames = wav.readframes(wav.getnframes())
        samples = np.frombuffer(frames, dtype="<i2").reshape(-1, wav.getnchannels())
        return Recording(wav.getnchannels(), wav.getframerate(), wav.getsampwidth(), samples[:, 0], samples[:, 1])


def voiced_frames(channel: np.ndarray, threshold: float = 500.0) -> np.ndarray:
    """Indices of the 20 ms frames louder than *threshold* (int16 RMS)."""
    whole = len(channel) // 160 * 160
    frames = channel[:whole].astype(np.float64).reshape(-1, 160)
    return np.flatnonzero(np.sqrt(np.mean(frames * frames, axis=1)) > threshold)


def s3_get(bucket: str, key: str) -> bytes:
    body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def s3_keys(bucket: str, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def s3_head(bucket: str, key: str) -> dict[str, Any]:
    head: dict[str, Any] = boto3.client("s3").head_object(Bucket=bucket, Key=key)
    return head


async def wait_for_object(bucket: str, key: str, *, timeout_s: float = 15.0) -> bytes:
    """The object once it exists (the worker writes it after the call; polling another process's store)."""
    async with asyncio.timeout(timeout_s):
        while key not in await asyncio.to_thread(s3_keys, bucket, key):  # noqa: ASYNC110 - another process's store
            await asyncio.sleep(0.1)
    return await asyncio.to_thread(s3_get, bucket, key)


async def wait_until_idle(stack: WorkerStack, *, timeout_s: float = 15.0) -> None:
    """Every call session finished its teardown (recording assembled, HIPAA mark dropped)."""
    assert await stack.app.active.wait_empty(timeout_s)
