"""The processes of one benchmark run: moto server, the three fakes, and the agent under test.

Everything listens on 127.0.0.1. Child processes write their logs to ``bench/.cache/logs/``.
The Switchboard worker is ``python -m media_worker`` configured only through its environment,
as in production (its stream-token secret comes from moto's Secrets Manager); Pipecat is
``bench/pipecat_bot.py`` under ``bench/.venv-pipecat``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import boto3

from bench.monitor import healthz_ms
from bench.scenario import GREETING

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
LOGS = CACHE / "logs"
PIPECAT_PYTHON = REPO / "bench" / ".venv-pipecat" / "bin" / "python"
TENANT = "tn_bench"
ASSISTANT = "as_bench"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}

Agent = Literal["switchboard", "pipecat"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log(name: str) -> IO[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    return open(LOGS / f"{name}.log", "wb")


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Moto:
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)
    table: Any = None

    @classmethod
    def start(cls, *, provision: bool = True) -> Moto:
        os.environ.update(AWS_ENV)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=_log("moto"),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        moto = cls(url, process)
        if provision:
            moto._provision()
        return moto

    def _provision(self) -> None:
        from switchboard.local_aws import provision
        from switchboard.models import Assistant
        from switchboard.store import create_assistant, table_resource

        resources = provision(self.url, prefix="sb-bench")
        self.env = {**AWS_ENV, **resources.environment()}
        os.environ.update(self.env)
        self.table = table_resource(resources.table)
        create_assistant(self.table, TENANT, Assistant(
            assistant_id=ASSISTANT, tenant_id=TENANT, name="Bench receptionist",
            system_prompt="You are the receptionist of a restaurant on a phone call.", first_message=GREETING,
        ))  # fmt: skip
        self.secret = str(
            boto3.client("secretsmanager").get_secret_value(SecretId=resources.secrets["stream_token"])["SecretString"]
        ).encode()

    def place_calls(self, count: int) -> list[dict[str, str]]:
        """Call records as call setup leaves them (ringing), and their stream tokens."""
        from switchboard.models import CallRecord
        from switchboard.store.calls import create_call
        from switchboard.stream_token import issue_stream_token

        calls = []
        for _ in range(count):
            record = CallRecord(
                call_id="ca_" + uuid.uuid4().hex[:16], tenant_id=TENANT, assistant_id=ASSISTANT, carrier="twilio",
                carrier_call_id="CA" + uuid.uuid4().hex, from_number="+14155550100", to_number="+14155550199",
                started_at=datetime.now(UTC),
            )  # fmt: skip
            create_call(self.table, record)
            token = issue_stream_token(
                self.secret, tenant_id=TENANT, call_id=record.call_id, assistant_id=ASSISTANT, ttl_s=600
            )
            calls.append({"token": token, "call_sid": record.carrier_call_id})
        return calls

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class Fakes:
    urls: dict[str, dict[str, str]]
    processes: dict[str, subprocess.Popen[bytes]]

    @classmethod
    def start(cls, tag: str) -> Fakes:
        processes: dict[str, subprocess.Popen[bytes]] = {}
        urls: dict[str, dict[str, str]] = {}
        for kind in ("deepgram", "openai", "cartesia"):
            processes[kind] = subprocess.Popen(
                [sys.executable, "-m", "bench.fake_process", kind], cwd=REPO,
                stdout=subprocess.PIPE, stderr=_log(f"fake-{kind}-{tag}"),
            )  # fmt: skip
        for kind, process in processes.items():
            assert process.stdout is not None
            urls[kind] = json.loads(process.stdout.readline())
        return cls(urls, processes)

    def stop(self) -> dict[str, Any]:
        counters: dict[str, Any] = {}
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for kind, process in self.processes.items():
            assert process.stdout is not None
            with suppress(ValueError, subprocess.TimeoutExpired):
                out, _ = process.communicate(timeout=15)
                counters[kind] = json.loads(out.decode().strip().splitlines()[-1]).get("counters")
            if process.poll() is None:
                process.kill()
        return counters


@dataclass
class AgentProcess:
    agent: Agent
    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        path = "twilio" if self.agent == "switchboard" else "ws"
        return f"ws://127.0.0.1:{self.port}/{path}"

    @classmethod
    async def start(cls, agent: Agent, fakes: Fakes, moto: Moto, tag: str) -> AgentProcess:
        port = free_port()
        dg, llm, tts = fakes.urls["deepgram"], fakes.urls["openai"], fakes.urls["cartesia"]
        if agent == "switchboard":
            env = {
                **os.environ, **moto.env, "PYTHONPATH": str(REPO), "SWITCHBOARD_PORT": str(port),
                "SWITCHBOARD_DRAIN_LIMIT_S": "1", "SWITCHBOARD_STAGE": "bench",
                "SWITCHBOARD_EVENT_SPOOL": str(CACHE / f"spool-{tag}.jsonl"),
                "DEEPGRAM_API_KEY": "bench", "DEEPGRAM_WS_URL": dg["ws_url"], "DEEPGRAM_HTTP_URL": dg["http_url"],
                "OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": llm["http_url"] + "/v1",
                "CARTESIA_API_KEY": "bench", "CARTESIA_BASE_URL": tts["http_url"], "CARTESIA_WS_URL": tts["ws_url"],
            }  # fmt: skip
            variant = os.environ.get("BENCH_WORKER_VARIANT")
            command = [sys.executable, "-m", "bench.worker_variant" if variant else "media_worker"]
        else:
            if not PIPECAT_PYTHON.exists():
                raise RuntimeError("Pipecat's virtualenv is missing: run `python -m bench setup` (or `make bench`)")
            env = {
                "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "BENCH_PORT": str(port),
                "DEEPGRAM_URL": dg["ws_url"], "OPENAI_BASE_URL": llm["http_url"] + "/v1",
                "CARTESIA_WS_URL": tts["ws_url"],
            }  # fmt: skip
            command = [str(PIPECAT_PYTHON), str(REPO / "bench" / "pipecat_bot.py")]
        log = _log(f"{agent}-{tag}")
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220
        started = cls(agent, port, process)
        deadline = time.monotonic() + 60
        while await healthz_ms(port) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{agent} did not become healthy; see {LOGS}/{agent}-{tag}.log")
            await asyncio.sleep(0.2)
        return started

    def stop(self) -> None:
        stop_process(self.process, timeout_s=20)
