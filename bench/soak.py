"""Soak: N concurrent simulated calls against one media worker process for several minutes, with
faults injected at random, and a count of what was lost (expected: nothing).

Not part of CI. Usage::

    .venv/bin/python bench/soak.py [--minutes 3] [--calls 100] [--turns 3] [--seed 1]

Set-up: a moto server (DynamoDB, EventBridge -> SQS, Secrets Manager) in its own process, the
worker as ``python -m media_worker`` in its own process (configured only through its environment,
with a secondary Deepgram endpoint and a secondary OpenAI-compatible endpoint), and in this
process the wire-level fakes (primary + secondary Deepgram, primary + secondary OpenAI with
speech, Cartesia; article latencies) and ``switchboard.caller.SimulatedCaller``s. Each caller
slot places calls back to back until the time is up: greeting, ``--turns`` spoken questions
(each must be answered with audio), hang-up.

Faults, at random every few seconds: an STT socket dropped mid-utterance; a drop whose reconnects
the primary Deepgram refuses for a while; a Cartesia context error; an LLM request that stalls
(no first token). Once, a third of the way in, EventBridge is unreachable for 20 s (the worker
reaches it through a relay in this process that refuses and cuts connections).

Reported: calls, turns spoken / answered (a *lost turn* got no reply audio within 20 s),
transcripts (a *lost transcript* is a ``call.ended`` whose caller turns are not exactly the
scripted sentence once per turn spoken), events (a *lost event* is a call without its
``call.ended`` on the post_call queue after the worker flushed), plus the worker's failover and
breaker log lines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SENTENCE = "Please book a table for two people tonight at eight."
TENANT = "tn_soak"
ASSISTANT = "as_soak"
REPLY = "Sure. I have booked it for you. Anything else?"
OUTAGE_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Tally:
    calls: int = 0
    failed_calls: int = 0
    turns_spoken: int = 0
    turns_answered: int = 0
    expected: dict[str, int] = field(default_factory=dict)  # call id -> caller turns spoken
    ended: dict[str, list[str]] = field(default_factory=dict)  # call id -> caller turns in call.ended
    faults: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    import requests

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return process, url
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto did not start") from None
            time.sleep(0.1)


def soak_assistant() -> object:
    from switchboard.models import Assistant, TtsSettings, Voice
    from switchboard.models.assistant import ResilienceSettings, SttSettings

    return Assistant(
        assistant_id=ASSISTANT, tenant_id=TENANT, name="Soak", system_prompt="You take bookings.",
        first_message="Hi there!",
        resilience=ResilienceSettings(
            stt=(SttSettings(model="nova-3"),), llm_secondary={"model": "backup-model"},  # type: ignore[arg-type]
            tts_secondary=TtsSettings(provider="openai_tts", model="gpt-4o-mini-tts", voice=Voice(id="alloy")),
        ),
    )  # fmt: skip


class OutageProxy:
    """A TCP relay between the worker and EventBridge (moto) that can go down: while it is down,
    connections are refused at once and open ones are cut, as in a regional EventBridge outage."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.down = False
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        self._writers.difference_update((writer, up_writer))


class Soak:
    def __init__(self, args: argparse.Namespace, resources: object, env: dict[str, str]) -> None:
        import boto3

        from switchboard.store import table_resource

        self.args = args
        self.resources = resources
        self.env = env
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.table = table_resource()
        self.sqs = boto3.client("sqs")
        self.deadline = 0.0
        self.stop_events = False
        self.moto_writer = ThreadPoolExecutor(max_workers=1)  # boto3 resources and moto: one thread

    async def run(self) -> None:
        from fakes import ARTICLE_BUDGET, FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply
        from switchboard.store import create_assistant

        latency = ARTICLE_BUDGET
        async with (
            FakeDeepgram(script=lambda i: SENTENCE, script_per_connection=True, latency=latency) as dg,
            FakeDeepgram(script=lambda i: SENTENCE, script_per_connection=True, latency=latency) as dg2,
            FakeOpenAI(default_reply=TextReply(REPLY), latency=latency) as oa,
            FakeOpenAI(default_reply=TextReply(REPLY), latency=latency) as oa2,
            FakeCartesia(latency=latency) as tts,
        ):
            self.fakes = (dg, dg2, oa, oa2, tts)
            self.proxy = OutageProxy(int(self.resources.endpoint_url.rsplit(":", 1)[1]))  # type: ignore[attr-defined]
            await self.proxy.start()
            await asyncio.to_thread(create_assistant, self.table, TENANT, soak_assistant())
            worker, port, logs = await self.start_worker()
            self.url = f"ws://127.0.0.1:{port}/twilio"
            self.secret = await asyncio.to_thread(self.stream_secret)
            gc.collect()
            gc.freeze()
            collector = asyncio.create_task(self.collect_events_task())
            self.deadline = time.monotonic() + self.args.minutes * 60
            started = time.monotonic()
            injector = asyncio.create_task(self.fault_task())
            await asyncio.gather(*(self.caller_slot_task(n) for n in range(self.args.calls)))
            injector.cancel()
            self.fakes[0].faults.reject_status = None
            print(f"calls done after {time.monotonic() - started:.0f} s; waiting for events", flush=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(120):
                    while set(self.tally.expected) - set(self.tally.ended):  # noqa: ASYNC110 - another process
                        await asyncio.sleep(0.5)
            self.stop_events = True
            await asyncio.gather(collector, injector, return_exceptions=True)
            worker.send_signal(signal.SIGTERM)
            await worker.wait()
            self.worker_log = (await logs).decode(errors="replace")

    async def start_worker(self) -> tuple[asyncio.subprocess.Process, int, asyncio.Task[bytes]]:
        dg, dg2, oa, oa2, tts = self.fakes
        port = free_port()
        spool = Path(tempfile.mkdtemp()) / "spool.jsonl"
        env = {
            **self.env, "PYTHONPATH": str(REPO), "SWITCHBOARD_STAGE": "soak",
            "SWITCHBOARD_EVENT_SPOOL": str(spool), "SWITCHBOARD_DRAIN_LIMIT_S": "5",
            "DEEPGRAM_API_KEY": "test-deepgram-key", "DEEPGRAM_WS_URL": dg.ws_url, "DEEPGRAM_HTTP_URL": dg.http_url,
            "DEEPGRAM_SECONDARY_WS_URLS": dg2.ws_url,
            "OPENAI_API_KEY": "test-openai-key", "OPENAI_BASE_URL": oa.base_url,
            "OPENAI_SECONDARY_BASE_URL": oa2.base_url,
            "CARTESIA_API_KEY": "test-cartesia-key", "CARTESIA_BASE_URL": tts.http_url, "CARTESIA_WS_URL": tts.ws_url,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": f"http://127.0.0.1:{self.proxy.port}",  # the bus, through the proxy
        }  # fmt: skip
        from switchboard.resources import ENV_PORT

        env[ENV_PORT] = str(port)
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "media_worker", env=env, cwd=str(REPO),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert worker.stdout is not None
        logs = asyncio.create_task(worker.stdout.read())
        async with asyncio.timeout(60):
            while not await self.healthy(port):  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.2)
        return worker, port, logs

    @staticmethod
    async def healthy(port: int) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: worker\r\n\r\n")
        line = await reader.readline()
        writer.close()
        return b" 200 " in line

    def stream_secret(self) -> bytes:
        import boto3

        arn = self.resources.secrets["stream_token"]  # type: ignore[attr-defined]
        return str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]).encode()

    # -- callers ------------------------------------------------------------------------------

    async def caller_slot_task(self, slot: int) -> None:
        await asyncio.sleep(slot * 0.05)  # ramp up over a few seconds
        while time.monotonic() < self.deadline:
            try:
                await self.one_call(slot)
            except Exception as error:  # counted and reported
                self.tally.failed_calls += 1
                self.tally.errors[f"{type(error).__name__}: {str(error)[:80]}"] += 1

    async def one_call(self, slot: int) -> None:
        from fakes.audio import speech_like_mulaw
        from switchboard.caller import SimulatedCaller
        from switchboard.caller.caller import now_ms
        from switchboard.models import CallRecord
        from switchboard.store.calls import create_call
        from switchboard.stream_token import issue_stream_token

        record = CallRecord(
            call_id="ca_" + uuid.uuid4().hex[:16], tenant_id=TENANT, assistant_id=ASSISTANT, carrier="twilio",
            carrier_call_id="CA" + uuid.uuid4().hex, from_number="+14155550100", to_number="+14155550199",
            started_at=datetime.now(UTC),
        )  # fmt: skip
        await asyncio.get_running_loop().run_in_executor(self.moto_writer, create_call, self.table, record)
        token = issue_stream_token(self.secret, tenant_id=TENANT, call_id=record.call_id, assistant_id=ASSISTANT)
        caller = SimulatedCaller(self.url, token=token, call_id=record.carrier_call_id)
        self.tally.calls += 1
        await caller.connect()
        self.tally.expected[record.call_id] = 0  # the worker holds the stream: a call.ended is due
        try:
            await caller.wait_for_mark("@end", timeout_s=30)
            for turn in range(self.args.turns):
                asked_at = now_ms()
                self.tally.expected[record.call_id] += 1
                self.tally.turns_spoken += 1
                await caller.speak(speech_like_mulaw(1.2, seed=slot * 100 + turn))
                await caller.silence(700)
                try:
                    await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=400, timeout_s=20)
                    self.tally.turns_answered += 1
                    await caller.wait_for_quiet(600, timeout_s=30)
                except TimeoutError:
                    self.tally.errors["turn timed out"] += 1
        finally:
            await caller.hang_up()

    # -- faults -------------------------------------------------------------------------------

    async def fault_task(self) -> None:
        dg, _, oa, _, tts = self.fakes
        from fakes import StallReply

        outage_at = time.monotonic() + self.args.minutes * 60 / 3
        outage_done = False
        while True:
            await asyncio.sleep(self.rng.uniform(2.0, 6.0))
            if not outage_done and time.monotonic() >= outage_at:
                outage_done = True
                asyncio.create_task(self.bus_outage_task())  # noqa: RUF006 - awaited through its effect
            kind = self.rng.choice(["stt_drop", "stt_drop_refused", "tts_error", "llm_stall"])
            self.tally.faults[kind] += 1
            if kind == "stt_drop":
                dg.faults.drop_at_next_utterance = True
            elif kind == "stt_drop_refused":
                dg.faults.drop_at_next_utterance = True
                dg.faults.reject_status, dg.faults.reject_times = 503, self.rng.randint(3, 12)
            elif kind == "tts_error":
                tts.faults.error_next_context = "soak: synthesis failed"
            else:
                oa.push(StallReply())

    async def bus_outage_task(self) -> None:
        self.tally.faults["bus_outage"] += 1
        self.proxy.cut()
        await asyncio.sleep(OUTAGE_S)
        self.proxy.down = False

    # -- events -------------------------------------------------------------------------------

    async def collect_events_task(self) -> None:
        while not self.stop_events:
            for call_id, caller_turns in await asyncio.to_thread(self.receive):
                self.tally.ended[call_id] = caller_turns

    def receive(self) -> list[tuple[str, list[str]]]:
        from switchboard.events import CallEnded, parse_event

        queue = self.resources.queues["post_call"]  # type: ignore[attr-defined]
        got = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        out = []
        for message in got:
            event = parse_event(json.loads(message["Body"])["detail"])
            if isinstance(event, CallEnded):
                out.append((event.call_id, [t.text for t in event.transcript if t.role == "caller"]))
            self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return out

    # -- report -------------------------------------------------------------------------------

    def report(self) -> dict[str, object]:
        t = self.tally
        lost_events = sorted(set(t.expected) - set(t.ended))
        lost_transcripts = [c for c, n in t.expected.items() if c in t.ended and t.ended[c] != [SENTENCE] * n]
        lines = [json.loads(line) for line in getattr(self, "worker_log", "").splitlines() if line.startswith("{")]
        messages = Counter(str(line.get("msg")) for line in lines)
        breaker = Counter(f"{line.get('breaker')}:{line.get('to_state')}" for line in lines
                          if line.get("msg") == "breaker transition")  # fmt: skip
        ended_in_worker = {str(line.get("call_id")) for line in lines if line.get("msg") == "call ended"}
        return {
            "lost_event_calls_the_worker_ended": len(set(lost_events) & ended_in_worker),
            "minutes": self.args.minutes, "concurrent_calls": self.args.calls, "calls": t.calls,
            "calls_failed": t.failed_calls, "turns_spoken": t.turns_spoken, "turns_answered": t.turns_answered,
            "lost_turns": t.turns_spoken - t.turns_answered, "lost_transcripts": len(lost_transcripts),
            "lost_events": len(lost_events), "faults_injected": dict(t.faults), "errors": dict(t.errors),
            "worker_failovers": {k: messages[k] for k in ("stt failover", "llm failover", "tts failover",
                                                          "tts clauses resynthesized", "stt reconnected")},
            "breaker_transitions": dict(breaker),
            "lost_transcript_examples": {c: t.ended[c] for c in lost_transcripts[:3]},
            "lost_event_examples": lost_events[:5],
        }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls")
    parser.add_argument("--turns", type=int, default=3, help="caller turns per call")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    logging.getLogger("websockets").setLevel(logging.CRITICAL)  # the fakes' refused/aborted handshakes
    moto, url = start_moto()
    try:
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": url,
        })  # fmt: skip
        from switchboard.local_aws import provision

        resources = provision(url, prefix="sb-soak")
        os.environ.update(resources.environment())
        soak = Soak(args, resources, dict(os.environ))
        asyncio.run(soak.run())
        Path(tempfile.gettempdir(), "soak-worker.log").write_text(getattr(soak, "worker_log", ""))
        print(json.dumps(soak.report(), indent=2))
    finally:
        moto.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            moto.wait(timeout=10)


if __name__ == "__main__":
    main()
