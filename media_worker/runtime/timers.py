"""The call's timers: ``StartTimer`` / ``CancelTimer`` from the core become ``loop.call_later`` handles.

A fired timer is reported as ``TimerFired(name, generation)`` through ``deliver`` (the session's
control queue), never by calling into the core directly, so facts stay in one order. Starting a
timer with a name already armed replaces it; the core ignores stale generations anyway, so a
firing that races a re-arm is harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from media_worker.core import TimerFired


class TimerWheel:
    def __init__(self, deliver: Callable[[TimerFired], None], clock_ms: Callable[[], float]) -> None:
        self._deliver = deliver
        self._clock_ms = clock_ms
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._closed = False

    @property
    def armed(self) -> frozenset[str]:
        return frozenset(self._handles)

    def start(self, name: str, delay_ms: float, generation: int) -> None:
        if self._closed:
            return
        self.cancel(name)
        loop = asyncio.get_running_loop()
        self._handles[name] = loop.call_later(max(0.0, delay_ms) / 1000.0, self._fire, name, generation)

    def cancel(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()

    def close(self) -> None:
        """Cancel everything; later ``start`` calls are ignored (the call ended)."""
        self._closed = True
        self.cancel_all()

    def _fire(self, name: str, generation: int) -> None:
        self._handles.pop(name, None)
        self._deliver(TimerFired(now_ms=self._clock_ms(), name=name, generation=generation))
