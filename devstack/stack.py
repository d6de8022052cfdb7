"""The whole platform on one machine: ``with LocalStack(options) as stack:`` (``python -m devstack up``).

Steps, each with a progress line: moto server (subprocess) → AWS resources from the shared specs
(``local_aws.provision`` + the carrier secret) → local CRM (the HubSpot fake) and the demo ticket
webhook → [the provider fakes] → demo data → the API gateway (real Lambda handlers, in-process)
→ the event router (EventBridge rule queues → post_call) → the media worker (subprocess, offline
models loaded before it reports healthy). Closing stops them in reverse order; child processes
run in their own process groups and are killed with their children.

The Lambda handlers run in this process and read ``os.environ`` as on Lambda, so the stack sets it.
Their log lines (and everything else on ``sys.stdout``) go to ``<run dir>/lambdas.log``; the stack's
own console output goes to ``console``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
import requests

from devstack.demo_webhook import DemoWebhook
from devstack.event_router import LocalEventRouter
from devstack.gateway import LocalGateway
from devstack.processes import ManagedProcess
from devstack.progress import Progress
from devstack.providers import Mode, ProviderPlan, plan_providers
from devstack.seed import DEMO_NUMBER, DemoData, demo_assistant, put_carrier_secret, put_provider_keys, seed
from devstack.worker_providers import ENV_LOCAL_MODELS
from fakes.hubspot import FakeHubSpot
from media_worker.providers.settings import ENV_VARS as PROVIDER_ENV_VARS
from switchboard import resources as r
from switchboard.local_aws import LocalResources, provision
from switchboard.store import table_resource
from switchboard.telephony.public_urls import ENV_PUBLIC_API_URLS

REPO = Path(__file__).resolve().parents[1]
STAGE = "local"
PREFIX = "switchboard-local"
REGION = "us-east-1"
LOCAL_AWS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
             "AWS_REGION": REGION}  # fmt: skip
QUIET_LAMBDAS = {"POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_METRICS_NAMESPACE": "Switchboard",
                 "POWERTOOLS_SERVICE_NAME": "switchboard-local", "POWERTOOLS_DEV": "0"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class StackOptions:
    mode: Mode = "auto"
    run_dir: Path = REPO / ".devstack"
    caller_lines: Sequence[str] = ()
    """the scripted caller's lines (the fake STT's script in ``fakes`` mode)"""
    api_port: int = 0
    media_port: int = 0
    public_api_url: str | None = None
    public_media_url: str | None = None
    number: str = DEMO_NUMBER
    twilio_auth_token: str | None = field(default=None, repr=False)
    """the token call setup verifies signatures with; default $TWILIO_AUTH_TOKEN, else a random local one"""


@dataclass
class WorkerObservations:
    """What the worker reported on its log: per-turn latency and tool results, per call."""

    turn_latency: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def on_line(self, line: str) -> None:
        if not line.startswith("{"):
            return
        try:
            entry = json.loads(line)
        except ValueError:
            return
        if entry.get("msg") == "span":
            self.spans.append(entry)
            return
        if entry.get("msg") == "turn latency":
            self.turn_latency.append(entry)
        elif entry.get("msg") == "tool result":
            self.tool_results.append(entry)
        else:
            return
        for listener in list(self.listeners):
            listener(entry)

    def for_call(self, call_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return ([e for e in self.turn_latency if e.get("call_id") == call_id],
                [e for e in self.tool_results if e.get("call_id") == call_id])  # fmt: skip

    def spans_of(self, call_id: str) -> list[dict[str, Any]]:
        return [e for e in self.spans if e.get("call_id") == call_id]


class LocalStack:
    def __init__(self, options: StackOptions, *, console: TextIO | None = None) -> None:
        self.options = options
        self.console = console or sys.stdout
        self.plan: ProviderPlan = plan_providers(options.mode, os.environ)
        self.twilio_auth_token = options.twilio_auth_token or os.environ.get("TWILIO_AUTH_TOKEN") or (
            secrets.token_hex(16))
        self.token_source = "TWILIO_AUTH_TOKEN" if (options.twilio_auth_token or os.environ.get(
            "TWILIO_AUTH_TOKEN")) else "generated for this run"  # fmt: skip
        self.worker_seen = WorkerObservations()
        self._exit = ExitStack()
        self.moto_url = ""
        self.resources: LocalResources | None = None
        self.crm: FakeHubSpot | None = None
        self.webhook: DemoWebhook | None = None
        self.fakes: Any = None
        self.demo: DemoData | None = None
        self.gateway: LocalGateway | None = None
        self.router: LocalEventRouter | None = None
        self.worker: ManagedProcess | None = None
        self.moto: ManagedProcess | None = None
        self.media_port = options.media_port or free_port()

    # -- public ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    @property
    def media_url(self) -> str:
        return f"ws://127.0.0.1:{self.media_port}"

    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.options.run_dir.mkdir(parents=True, exist_ok=True)
        self._redirect_stdout()
        progress = Progress(total=8 if self.plan.fakes else 7, out=self.console)
        with progress.step("moto server (DynamoDB, S3, EventBridge, SQS, Secrets Manager)"):
            self._start_moto()
        with progress.step("AWS resources from switchboard.resources (table, bucket, bus, rules, queues, secrets)"):
            self._provision()
        with progress.step("local CRM (HubSpot fake) and the demo ticket webhook"):
            self.crm = self._exit.enter_context(FakeHubSpot(token="hs-local-" + secrets.token_hex(8)).in_thread())
            self.webhook = DemoWebhook().start()
            self._exit.callback(self.webhook.close)
        if self.plan.fakes:
            with progress.step("provider fakes (Deepgram, OpenAI, Cartesia wire-level fakes)"):
                from devstack.fake_providers import running_fakes

                self.fakes = self._exit.enter_context(running_fakes(self.options.caller_lines))
        with progress.step("demo data (tenant, API key, assistant, tool, CRM credentials, number)"):
            self._seed()
        with progress.step("API gateway (call_setup, tool_call, admin_api, authorizer)"):
            self.gateway = LocalGateway(port=self.options.api_port).start()
            self._exit.callback(self.gateway.close)
            self._set_public_urls()
        with progress.step("event router (EventBridge rules → SQS → post_call)"):
            assert self.resources is not None
            self.router = LocalEventRouter(self.resources.queues, self.moto_url).start()
            self._exit.callback(self.router.close)
        label = "media worker" + (f" + offline models ({', '.join(self.plan.local_engines)})"
                                  if self.plan.local_engines else "")  # fmt: skip
        with progress.step(label):
            self._start_worker()

    def close(self) -> None:
        """Stop everything, newest first; safe to call twice."""
        self._exit.close()

    def _record_pids(self) -> None:
        """``<run dir>/processes.json``: the child processes (each leads its own process group)."""
        pids = {p.name: p.pid for p in (self.moto, self.worker) if p is not None and p.pid is not None}
        (self.options.run_dir / "processes.json").write_text(json.dumps({"devstack": os.getpid(), **pids}))

    # -- steps ----------------------------------------------------------------------------------

    def _redirect_stdout(self) -> None:
        """The handlers' output (Powertools JSON on stdout, std logging as the Lambda runtime sets it up)
        goes to ``lambdas.log``."""
        log = (self.options.run_dir / "lambdas.log").open("w", encoding="utf-8")
        previous = sys.stdout
        sys.stdout = log
        handler = logging.StreamHandler(log)
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        self._exit.callback(log.close)
        self._exit.callback(setattr, sys, "stdout", previous)
        self._exit.callback(root.setLevel, level)
        self._exit.callback(root.removeHandler, handler)

    def _start_moto(self) -> None:
        port = free_port()
        self.moto_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, **LOCAL_AWS}
        self.moto = ManagedProcess("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   env=env, log_path=self.options.run_dir / "moto.log").start()  # fmt: skip
        self._exit.callback(self.moto.stop, 5.0)
        self._record_pids()

        def ready() -> bool:
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{self.moto_url}/moto-api/", timeout=1).status_code == 200
            return False

        self.moto.wait_until(ready, timeout_s=60, what="moto answering")

    def _provision(self) -> None:
        os.environ.update({**LOCAL_AWS, **QUIET_LAMBDAS, "AWS_ENDPOINT_URL": self.moto_url})
        os.environ.pop("AWS_PROFILE", None)
        self.resources = provision(self.moto_url, region=REGION, prefix=PREFIX)
        carrier = put_carrier_secret(self.moto_url, REGION, PREFIX, self.twilio_auth_token)
        os.environ.update({**self.resources.environment(), r.ENV_CARRIER_SECRET: carrier, r.ENV_STAGE: STAGE})

    def _seed(self) -> None:
        assert self.resources is not None and self.crm is not None and self.webhook is not None
        keys = self._provider_keys()
        if keys:
            put_provider_keys(self.moto_url, REGION, self.resources.secrets["providers"], keys)
        if self.fakes is not None:
            os.environ["OPENAI_BASE_URL"] = self.fakes.openai.base_url  # post_call's analysis LLM
        os.environ["SWITCHBOARD_HUBSPOT_URL"] = self.crm.http_url
        assistant = demo_assistant(self.plan.assistant_fields(), self.webhook.tool_url)
        secrets_client = boto3.client("secretsmanager", endpoint_url=self.moto_url, region_name=REGION)
        self.demo = seed(table_resource(self.resources.table), secrets_client, stage=STAGE, assistant=assistant,
                         hubspot_token=self.crm.token, number=self.options.number)  # fmt: skip
        self.crm.add_contact(firstname="Jane", lastname="Doe", email="jane@example.com", phone=self.demo.caller_number)

    def _provider_keys(self) -> dict[str, str]:
        """The platform provider-keys secret: the analysis LLM's key when the LLM is OpenAI (real or fake)."""
        if self.plan.is_local("llm"):
            return {}
        if self.fakes is not None:
            from devstack.fake_providers import API_KEYS

            return {"openai": API_KEYS["openai"]}
        return {"openai": os.environ["OPENAI_API_KEY"]}

    def _set_public_urls(self) -> None:
        public = self.options.public_api_url or self.api_url
        os.environ[r.ENV_PUBLIC_API_URL] = public
        os.environ[ENV_PUBLIC_API_URLS] = self.api_url  # the local caller signs the local URL
        os.environ[r.ENV_MEDIA_WSS_URL] = self.options.public_media_url or self.media_url

    def _worker_env(self) -> dict[str, str]:
        assert self.resources is not None
        env = {k: v for k, v in os.environ.items() if k not in PROVIDER_ENV_VARS.values()}
        env.update(self.resources.environment())
        env.update({**LOCAL_AWS, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", r.ENV_STAGE: STAGE,
                    r.ENV_PORT: str(self.media_port), r.ENV_PUBLIC_API_URL: self.api_url,
                    "SWITCHBOARD_EVENT_SPOOL": str(self.options.run_dir / "worker-events.jsonl"),
                    "SWITCHBOARD_DRAIN_LIMIT_S": "3",
                    ENV_LOCAL_MODELS: "1" if self.plan.local_engines else ""})  # fmt: skip
        if self.fakes is not None:
            env.update(self.fakes.worker_env())
        else:
            for role, provider in self.plan.roles.items():
                if not self.plan.is_local(role):
                    prefix = provider.upper() + "_"
                    env.update({k: v for k, v in os.environ.items() if k in PROVIDER_ENV_VARS.values()
                                and k.startswith(prefix)})  # fmt: skip
        return env

    def _start_worker(self) -> None:
        self.worker = ManagedProcess("media-worker", [sys.executable, "-m", "devstack.worker"], env=self._worker_env(),
                                     log_path=self.options.run_dir / "worker.log", cwd=REPO)  # fmt: skip
        self.worker.listeners.append(self.worker_seen.on_line)
        self.worker.start()
        self._exit.callback(self.worker.stop, 15.0)
        self._record_pids()
        health = f"http://127.0.0.1:{self.media_port}/healthz"

        def ready() -> bool:
            with contextlib.suppress(requests.RequestException):
                return requests.get(health, timeout=1).status_code == 200
            return False

        self.worker.wait_until(ready, timeout_s=180, what="/healthz answering 200")
