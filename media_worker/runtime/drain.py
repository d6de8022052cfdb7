"""Active calls, graceful draining and ECS task scale-in protection.

- :class:`ActiveCalls` counts live sessions; the ``ActiveCalls`` EMF gauge and task protection
  follow it.
- :class:`TaskProtection` PUTs ``$ECS_AGENT_URI/task-protection/v1/state`` when the worker goes
  from 0 to 1 live calls (protect) and from 1 to 0 (release), so scale-in and deployments never
  kill a task mid-call. The request runs in a thread (urllib); without ``ECS_AGENT_URI`` (not on
  ECS) it does nothing. Changes are serialised by one task, so the last state always wins.
- :func:`drain` (on SIGTERM): the server already fails ``/healthz`` and refuses new streams;
  active calls get ``limit_s`` to finish, then each hears a short goodbye and ends with its
  ``call.ended``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from typing import Protocol

log = logging.getLogger(__name__)

PROTECTION_MINUTES = 180


class Drainable(Protocol):
    ended: asyncio.Event

    async def say_goodbye_and_end(self, text: str, timeout_s: float = 8.0) -> None: ...


class TaskProtection:
    def __init__(self, agent_uri: str | None, *, expires_in_minutes: int = PROTECTION_MINUTES) -> None:
        self._url = f"{agent_uri.rstrip('/')}/task-protection/v1/state" if agent_uri else None
        self._minutes = expires_in_minutes
        self._wanted: bool | None = None
        self._applied: bool | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._settled = asyncio.Event()
        self._settled.set()
        self.requests = 0

    @property
    def enabled(self) -> bool:
        return self._url is not None

    def set(self, protected: bool) -> None:
        if self._url is None:
            return
        self._wanted = protected
        self._settled.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._protection_task(), name="task-protection-task")

    async def settled(self) -> None:
        """Wait until the agent has the last wanted state (tests, shutdown)."""
        await self._settled.wait()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _protection_task(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            wanted = self._wanted
            if wanted is not None and wanted != self._applied:
                try:
                    await asyncio.to_thread(self._put, wanted)
                    self._applied = wanted
                except OSError as error:
                    log.warning("task protection update failed", extra={"error": type(error).__name__})
                    await asyncio.sleep(1.0)
                    self._wake.set()
                    continue
            if self._wanted == self._applied:
                self._settled.set()

    def _put(self, protected: bool) -> None:
        assert self._url is not None
        body: dict[str, object] = {"ProtectionEnabled": protected}
        if protected:
            body["ExpiresInMinutes"] = self._minutes
        request = urllib.request.Request(  # noqa: S310 - the ECS agent URI, from the task's environment
            self._url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            response.read()
        self.requests += 1
        log.info("task protection set", extra={"protected": protected})


class ActiveCalls:
    def __init__(self, protection: TaskProtection | None = None) -> None:
        self._live: set[Drainable] = set()
        self._protection = protection
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._live)

    def snapshot(self) -> list[Drainable]:
        return list(self._live)

    def add(self, call: Drainable) -> None:
        self._live.add(call)
        if len(self._live) == 1 and self._protection is not None:
            self._protection.set(True)
        self._changed.set()

    def discard(self, call: Drainable) -> None:
        if call not in self._live:
            return
        self._live.discard(call)
        if not self._live and self._protection is not None:
            self._protection.set(False)
        self._changed.set()

    async def wait_empty(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                while self._live:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True


async def drain(
    calls: ActiveCalls,
    *,
    limit_s: float,
    goodbye: str,
    end_timeout_s: float = 15.0,
) -> None:
    """Let live calls finish for ``limit_s``, then say ``goodbye`` on each and wait for them to end."""
    log.info("draining", extra={"active_calls": len(calls), "limit_s": limit_s})
    if await calls.wait_empty(limit_s):
        return
    remaining = calls.snapshot()
    log.info("drain limit reached; ending calls", extra={"active_calls": len(remaining)})
    await asyncio.gather(*(call.say_goodbye_and_end(goodbye) for call in remaining), return_exceptions=True)
    await calls.wait_empty(end_timeout_s)
