"""media_worker/Dockerfile: slim 3.13 base, non-root, a working stdlib HEALTHCHECK, python -m media_worker.

Docker cannot run here, so the file is parsed; the HEALTHCHECK command itself is executed against a
real loopback HTTP server to prove it passes on 200 and fails otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from switchboard.resources import ENV_PORT, MEDIA_WORKER_PORT

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "media_worker" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    logical, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_every_stage_builds_on_python_313_slim() -> None:
    bases = [args.split()[0] for name, args in _instructions() if name == "FROM"]
    assert bases and all(base == "python:3.13-slim" for base in bases), bases


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = [args for name, args in _final_stage() if name == "USER"]
    assert users, "the final stage must switch user"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_image_copies_the_shared_package_and_the_worker_but_no_fakes() -> None:
    copies = [args for name, args in _final_stage() if name == "COPY"]
    sources = {args.split()[0] for args in copies if not args.startswith("--from")}
    assert {"switchboard/", "media_worker/"} <= sources
    assert not any("fakes" in args or args.split()[0] == "." for args in copies)
    installs = " ".join(args for name, args in _instructions() if name == "RUN")
    assert "media_worker/requirements.txt" in " ".join(args for name, args in _instructions() if name == "COPY")
    assert "--requirement /tmp/requirements.txt" in installs


def test_port_environment_and_command() -> None:
    final = _final_stage()
    assert ("EXPOSE", str(MEDIA_WORKER_PORT)) in final
    env = " ".join(args for name, args in final if name == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert f"{ENV_PORT}={MEDIA_WORKER_PORT}" in env
    (cmd,) = [args for name, args in final if name == "CMD"]
    assert json.loads(cmd) == ["python", "-m", "media_worker"]


def _healthcheck_argv() -> list[str]:
    (healthcheck,) = [args for name, args in _final_stage() if name == "HEALTHCHECK"]
    exec_form = healthcheck.split("CMD", 1)[1].strip()
    argv: list[str] = json.loads(exec_form)
    return argv


def test_healthcheck_uses_the_standard_library_not_curl() -> None:
    argv = _healthcheck_argv()
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2] and "127.0.0.1" in argv[2] and "/healthz" in argv[2]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def health_server() -> Iterator[HTTPServer]:
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    _Health.status = 200


def _run_healthcheck(port: int) -> int:
    argv = _healthcheck_argv()
    env = {**os.environ, ENV_PORT: str(port)}
    return subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30).returncode


def test_healthcheck_passes_when_healthz_answers_200(health_server: HTTPServer) -> None:
    assert _run_healthcheck(health_server.server_address[1]) == 0


def test_healthcheck_fails_when_healthz_is_unhealthy(health_server: HTTPServer) -> None:
    _Health.status = 503
    assert _run_healthcheck(health_server.server_address[1]) != 0


def test_dockerignore_keeps_the_build_context_to_the_two_packages() -> None:
    patterns = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    assert {p for p in patterns if p.startswith("!")} == {"!switchboard/", "!media_worker/"}
