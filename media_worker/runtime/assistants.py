"""Assistant configuration for new calls, read from DynamoDB through ``switchboard.store`` and
cached per (tenant, assistant) for ``ttl_s``. Reads run in a worker thread; concurrent calls
for the same assistant share one read."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from switchboard.models import Assistant
from switchboard.store import get_assistant

Key = tuple[str, str]


class AssistantCache:
    def __init__(
        self,
        load: Callable[[str, str], Assistant],
        *,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[Key, tuple[float, Assistant]] = {}
        self._inflight: dict[Key, asyncio.Future[Assistant]] = {}
        self.loads = 0

    @classmethod
    def from_table(cls, table: Any, *, ttl_s: float = 60.0) -> AssistantCache:
        return cls(lambda tenant_id, assistant_id: get_assistant(table, tenant_id, assistant_id), ttl_s=ttl_s)

    async def get(self, tenant_id: str, assistant_id: str) -> Assistant:
        """The assistant; raises ``switchboard.errors.NotFound`` if it does not exist."""
        key = (tenant_id, assistant_id)
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry[0] < self._ttl_s:
            return entry[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Assistant] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            self.loads += 1
            assistant = await asyncio.to_thread(self._load, tenant_id, assistant_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            self._inflight.pop(key, None)
        self._entries[key] = (self._clock(), assistant)
        future.set_result(assistant)
        return assistant
