"""Lifecycle shared by every fake: start on 127.0.0.1:<ephemeral>, stop, run from a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self


class FakeServer:
    """Base class. Subclasses implement ``_start() -> port`` and ``_stop()``."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = 0
        self._started = False

    async def _start(self) -> int:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> Self:
        if not self._started:
            self.port = await self._start()
            self._started = True
        return self

    async def aclose(self) -> None:
        if self._started:
            self._started = False
            await self._stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def wait_for(self, predicate: Callable[[], bool], *, within_s: float = 3.0) -> None:
        """Wait until ``predicate()`` holds (polling the recorded state); TimeoutError otherwise."""
        deadline = time.monotonic() + within_s
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{type(self).__name__}: condition not met within {within_s}s")
            await asyncio.sleep(0.005)

    @contextmanager
    def in_thread(self) -> Iterator[Self]:
        """Run the fake on its own event loop in a daemon thread, for synchronous code and tools.

        The recorded state is then read from another thread: read it after the exchange is over.
        """
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"{type(self).__name__}-loop", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
            yield self
        finally:
            try:
                asyncio.run_coroutine_threadsafe(self.aclose(), loop).result(timeout=10)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=10)
                loop.close()
