"""End-to-end: the local stack as ``make demo`` runs it (``python -m devstack``), in a subprocess.

``run_devstack`` starts ``python -m devstack <args>`` with the vendor keys removed from the
environment (a developer's real keys never reach a test), a run directory and a report directory
under ``tmp_path``, and returns the finished process with its output. The demo writes
``call-<id>.json`` next to its report: the facts the tests assert on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VENDOR_VARIABLES = ("DEEPGRAM_API_KEY", "OPENAI_API_KEY", "CARTESIA_API_KEY", "TWILIO_AUTH_TOKEN", "OPENAI_BASE_URL",
                    "DEEPGRAM_WS_URL", "DEEPGRAM_HTTP_URL", "CARTESIA_BASE_URL", "CARTESIA_WS_URL")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "offline_models: needs the offline model packages (requirements-demo*.txt)")


def devstack_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VENDOR_VARIABLES and not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class DemoRun:
    returncode: int
    output: str
    run_dir: Path
    report_dir: Path

    def summary(self) -> dict[str, Any]:
        [path] = sorted(self.report_dir.glob("call-*.json"))
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def report_html(self) -> str:
        [path] = sorted(self.report_dir.glob("call-*.html"))
        return path.read_text()

    def child_pids(self) -> dict[str, int]:
        pids: dict[str, int] = json.loads((self.run_dir / "processes.json").read_text())
        return pids


def run_devstack(tmp_path: Path, *args: str, timeout_s: float) -> DemoRun:
    run_dir, report_dir = tmp_path / "run", tmp_path / "reports"
    command = [sys.executable, "-m", "devstack", *args, "--run-dir", str(run_dir), "--report-dir", str(report_dir)]
    done = subprocess.run(command, cwd=REPO, env=devstack_env(), capture_output=True, text=True, timeout=timeout_s,
                          check=False)  # fmt: skip
    return DemoRun(done.returncode, done.stdout + done.stderr, run_dir, report_dir)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
