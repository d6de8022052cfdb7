"""``python -m media_worker`` as a process: configured from the environment, serves a call, drains on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import boto3

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI
from switchboard.caller import SimulatedCaller
from switchboard.local_aws import LocalResources
from switchboard.resources import ENV_PORT
from switchboard.stream_token import issue_stream_token

from .harness import TENANT, WorkerStack

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def health(port: int) -> int | None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: worker\r\n\r\n")
    line = await reader.readline()
    writer.close()
    return int(line.split()[1]) if line else None


def stream_secret(aws: LocalResources) -> bytes:
    value = boto3.client("secretsmanager").get_secret_value(SecretId=aws.secrets["stream_token"])["SecretString"]
    return str(value).encode()


async def test_the_worker_process_serves_a_call_and_drains_on_sigterm(
    stack: WorkerStack, aws: LocalResources, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia,
    tmp_path: Path,
) -> None:  # fmt: skip
    # given a worker process configured only through its environment (the stack provides moto and the fakes)
    port = free_port()
    env = {
        **os.environ,
        ENV_PORT: str(port),
        "PYTHONPATH": str(REPO),
        "SWITCHBOARD_DRAIN_LIMIT_S": "0.5",
        "SWITCHBOARD_EVENT_SPOOL": str(tmp_path / "spool.jsonl"),
        "DEEPGRAM_API_KEY": "test-deepgram-key", "DEEPGRAM_WS_URL": deepgram.ws_url,
        "DEEPGRAM_HTTP_URL": deepgram.http_url, "OPENAI_API_KEY": "test-openai-key",
        "OPENAI_BASE_URL": openai.base_url, "CARTESIA_API_KEY": "test-cartesia-key",
        "CARTESIA_BASE_URL": cartesia.http_url, "CARTESIA_WS_URL": cartesia.ws_url,
    }  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "media_worker", env=env, cwd=str(REPO),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = asyncio.create_task(process.stdout.read())  # type: ignore[union-attr]
    try:
        async with asyncio.timeout(30):
            while await health(port) != 200:  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.1)
        secret = await asyncio.to_thread(stream_secret, aws)
        call = await stack.place_call()
        token = issue_stream_token(secret, tenant_id=TENANT, call_id=call.call_id, assistant_id="as_media")

        # when a call is live and the process gets SIGTERM
        async with SimulatedCaller(f"ws://127.0.0.1:{port}/twilio", token=token) as caller:
            await caller.wait_for_mark("@end", timeout_s=15)
            process.send_signal(signal.SIGTERM)
            # then the caller hears the goodbye and the worker hangs up, and the process exits cleanly
            await caller.wait_closed(timeout_s=20)
        async with asyncio.timeout(20):
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    logs = (await output).decode()

    assert code == 0, logs[-2000:]
    assert caller.record.close_code == 1000
    ended = await stack.call_ended(call.call_id)
    assert ended.end_reason == "worker_draining"
    assert '"msg":"transition"' in logs and call.call_id in logs  # structured JSON lines with the call id
    assert '"ActiveCalls"' in logs  # the EMF gauge
