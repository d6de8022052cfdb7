"""``python -m devstack up`` stays up until Ctrl-C (or SIGTERM), then stops every process it started."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, alive, devstack_env


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_stack_shuts_down_cleanly_and_leaves_no_process_behind(tmp_path: Path, signum: int) -> None:
    # given a running stack (the banner tells where everything is)
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up", "--providers", "fakes", "--run-dir", str(run_dir)],
        cwd=REPO, env=devstack_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while not any("Ctrl-C stops everything" in line for line in lines):
            line = process.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)[-3000:]
            lines.append(line)
        recorded = json.loads((run_dir / "processes.json").read_text())
        children = {name: pid for name, pid in recorded.items() if name != "devstack"}
        assert set(children) == {"moto", "media-worker"}
        assert all(alive(pid) for pid in children.values())
        # when it is interrupted
        process.send_signal(signum)
        rest = process.stdout.read()  # to EOF: the stack closed its output when it exited (not communicate():
        process.wait(timeout=60)  # that reads the raw pipe and would skip what readline() already buffered)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # then it said so, exited, and took every child process (and their groups) with it
    assert "every process of the stack was shut down" in rest, rest[-2000:]
    assert process.returncode == 130
    assert [name for name, pid in children.items() if alive(pid)] == []
    # and no secret leaked: the Twilio auth token stays in a 0600 file, the API key only on the console
    token = (run_dir / "twilio-auth-token").read_text()
    assert token not in "".join(lines) + rest
    assert (run_dir / "twilio-auth-token").stat().st_mode & 0o077 == 0
    [api_key] = set(re.findall(r"sk_[A-Za-z0-9_-]+", "".join(lines) + rest))
    logs = "".join(path.read_text() for path in run_dir.glob("*.log"))
    assert logs and token not in logs and api_key not in logs
