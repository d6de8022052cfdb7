"""Child processes of the local stack, each in its own process group, stopped with their children.

:class:`ManagedProcess` starts a command with ``start_new_session=True`` (its own process group),
copies its output line by line to a log file and to listeners (a reader thread), and stops the
whole group: SIGTERM, then SIGKILL after a grace period. Every started process is also stopped
at interpreter exit (``atexit``), so an exception or Ctrl-C in the parent leaves no orphans.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

LineListener = Callable[[str], None]
_live: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()


class ProcessFailed(RuntimeError):
    """A child process exited (or never became ready); the log tail says why."""


class ManagedProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self.listeners: list[LineListener] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _live.add(self)
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-output", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        with self.log_path.open("w", encoding="utf-8") as log:
            for raw in self._process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                for listener in list(self.listeners):
                    with contextlib.suppress(Exception):  # a listener must never stop the copy
                        listener(line)

    def wait_until(self, ready: Callable[[], bool], *, timeout_s: float, what: str) -> None:
        """Poll ``ready`` until true; :class:`ProcessFailed` if the process exits or time runs out."""
        deadline = time.monotonic() + timeout_s
        while not ready():
            if not self.running:
                raise ProcessFailed(f"{self.name} exited ({self.returncode}) before {what}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ProcessFailed(f"{self.name}: no {what} within {timeout_s:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace_s: float = 10.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace_s``; returns the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        _signal_group(process.pid, signal.SIGKILL)  # children the leader left behind
        if self._reader is not None:
            self._reader.join(timeout=5)
        _live.discard(self)
        return process.returncode


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@atexit.register
def _stop_all() -> None:
    for process in list(_live):
        process.stop(grace_s=3.0)
