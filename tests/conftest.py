"""Shared fixtures.

- ``moto_url`` (session): a moto server on loopback, reached over real HTTP.
  The session also points boto3 at it through ``AWS_ENDPOINT_URL`` and fake credentials,
  so code under test needs no special wiring.
- ``aws`` (function): a clean moto state with the platform's table, bucket, bus,
  rule queues and secrets created from ``switchboard.resources`` (a
  :class:`switchboard.local_aws.LocalResources`), and its environment variables set.
- asyncio debug mode is on (``asyncio_debug`` in pyproject): a callback that blocks the
  loop for more than 100 ms fails the test that ran it, unless marked ``allow_slow_callbacks``.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from switchboard.local_aws import LocalResources, provision

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "Switchboard",
        "POWERTOOLS_SERVICE_NAME": "switchboard-test",
    }
)
os.environ.pop("AWS_PROFILE", None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto in its own process: its state and request handling never share this process's GIL or heap,
    so a busy emulator cannot stall the event loop under test."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = previous
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session", autouse=True)
def _frozen_import_heap() -> None:
    """Move everything imported at collection into the permanent GC generation, so a full
    collection during a test does not walk every SDK's module objects while the loop waits."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> LocalResources:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    resources = provision(moto_url, prefix="sb-test")
    for name, value in resources.environment().items():
        monkeypatch.setenv(name, value)
    return resources


class _SlowCallbackCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing") and " took " in message:
            self.messages.append(message[:300])


@pytest.fixture(autouse=True)
def _fail_on_slow_callbacks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if any asyncio callback blocked the event loop (asyncio debug mode)."""
    collector = _SlowCallbackCollector()
    logger = logging.getLogger("asyncio")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.messages and not request.node.get_closest_marker("allow_slow_callbacks"):
        pytest.fail("event loop blocked: " + "; ".join(collector.messages), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_slow_callbacks: do not fail on slow asyncio callbacks")
