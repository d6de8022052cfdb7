"""Run blocking model work off the event loop.

Each model gets one ``ModelWorker``: a single thread, so the model (not thread-safe, or
already multi-threaded inside) serves one request at a time while the loop stays free.
``stream()`` turns a blocking generator into an async iterator that can be abandoned early:
closing it sets a ``threading.Event`` the generator checks between items.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class ModelWorker:
    """One thread for one model."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def stream(self, produce: Callable[[threading.Event], Iterator[T]]) -> AsyncIterator[T]:
        """Items of ``produce(stop)`` as they are made. Leaving the ``async for`` early (or
        cancelling the consumer) sets ``stop``; the generator should check it between items."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def put(item: object) -> None:
            if not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed in between
                    loop.call_soon_threadsafe(queue.put_nowait, item)

        def pump() -> None:
            try:
                for item in produce(stop):
                    if stop.is_set():
                        break
                    put(item)
            except BaseException as exc:  # handed to the consumer, raised there
                put(_Failure(exc))
            finally:
                put(_DONE)

        future = loop.run_in_executor(self._executor, pump)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, _Failure):
                    raise item.error
                yield item  # type: ignore[misc]
        finally:
            stop.set()
            if future.done():
                future.result()
            else:
                future.add_done_callback(_consume)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _consume(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
