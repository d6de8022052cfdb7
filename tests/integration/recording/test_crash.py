"""A worker killed mid-call (SIGKILL, no teardown) leaves its uploaded segments; ``assemble`` recovers the recording."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import boto3

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from fakes.audio import speech_like_mulaw
from media_worker.runtime.uploader import assemble, segments_prefix
from switchboard.caller import SimulatedCaller
from switchboard.gdpr import recording_key
from switchboard.local_aws import LocalResources
from switchboard.resources import ENV_PORT
from switchboard.stream_token import issue_stream_token
from tests.integration.media_worker.harness import TENANT, WorkerStack
from tests.integration.media_worker.test_main import REPO, free_port, health, stream_secret

from .conftest import MakeStack, parse_wav, s3_get, s3_keys, voiced_frames

SEGMENT_S = 1.0


async def test_a_killed_worker_loses_at_most_the_last_seconds_of_the_recording(
    make_stack: MakeStack, aws: LocalResources, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia,
) -> None:  # fmt: skip
    # given a worker process recording in 1 s segments (the stack provides moto, the fakes and the call record)
    stack: WorkerStack = await make_stack()
    port = free_port()
    env = {
        **os.environ, ENV_PORT: str(port), "PYTHONPATH": str(REPO),
        "SWITCHBOARD_RECORDING_SEGMENT_S": str(SEGMENT_S), "SWITCHBOARD_EVENT_SPOOL": os.devnull,
        "DEEPGRAM_API_KEY": "test-deepgram-key", "DEEPGRAM_WS_URL": deepgram.ws_url,
        "DEEPGRAM_HTTP_URL": deepgram.http_url, "OPENAI_API_KEY": "test-openai-key",
        "OPENAI_BASE_URL": openai.base_url, "CARTESIA_API_KEY": "test-cartesia-key",
        "CARTESIA_BASE_URL": cartesia.http_url, "CARTESIA_WS_URL": cartesia.ws_url,
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "media_worker", env=env, cwd=str(REPO),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    bucket, call_id = aws.bucket, ""
    try:
        async with asyncio.timeout(30):
            while await health(port) != 200:  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.1)
        secret = await asyncio.to_thread(stream_secret, aws)
        call = await stack.place_call()
        call_id = call.call_id
        token = issue_stream_token(secret, tenant_id=TENANT, call_id=call_id, assistant_id="as_media")
        async with SimulatedCaller(f"ws://127.0.0.1:{port}/twilio", token=token) as caller:
            # when the caller talks for four seconds and the worker dies without any teardown
            await caller.speak(speech_like_mulaw(4.0, seed=9))
            async with asyncio.timeout(10):
                while len(await asyncio.to_thread(s3_keys, bucket, segments_prefix(TENANT, call_id))) < 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            process.send_signal(signal.SIGKILL)
            killed_at_s = caller.elapsed_ms / 1000.0
            await process.wait()
            await caller.wait_closed()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    # then the segments uploaded so far are there (no recording.wav: nobody assembled it)
    keys = await asyncio.to_thread(s3_keys, bucket, f"tenants/{TENANT}/calls/{call_id}/")
    assert recording_key(TENANT, call_id) not in keys
    # and assembling them (a restarted worker, post-call, an operator) gives the call minus at most a few seconds
    result = await asyncio.to_thread(assemble, boto3.client("s3"), bucket, TENANT, call_id)
    assert result is not None and result.missing == ()
    assert killed_at_s - 3.0 <= result.seconds <= killed_at_s
    recording = parse_wav(await asyncio.to_thread(s3_get, bucket, recording_key(TENANT, call_id)))
    assert recording.channels == 2 and abs(recording.seconds - result.seconds) < 0.001
    assert len(voiced_frames(recording.caller)) * 20 >= 1000  # the caller's speech is in it
    assert await asyncio.to_thread(s3_keys, bucket, segments_prefix(TENANT, call_id)) == []  # cleaned up
    # and assembling again is harmless
    assert await asyncio.to_thread(assemble, boto3.client("s3"), bucket, TENANT, call_id) is None
