"""Publishes bus events from the worker without ever blocking audio, and never drops one.

``publish()`` is synchronous and cheap: the event is appended to an on-disk spool
(one JSON line) and queued. A background ``publish_task`` sends batches with
``PutEvents`` in a worker thread, retries failed entries with backoff, and writes
an ``ack`` line for each delivered event. A worker that restarts re-reads the
spool and publishes whatever was never acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from switchboard.events import BusEvent, parse_event, to_entry

log = logging.getLogger(__name__)

MAX_BATCH = 10
MAX_BACKOFF_S = 30.0


class EventPublisher:
    def __init__(
        self,
        *,
        bus_name: str,
        client_factory: Callable[[], Any],
        spool_path: Path | None = None,
        base_backoff_s: float = 0.2,
    ) -> None:
        self._bus = bus_name
        self._client_factory = client_factory
        self._client: Any = None
        self._spool_path = spool_path
        self._base_backoff_s = base_backoff_s
        self._pending: dict[str, BusEvent] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        """Load what an earlier run spooled but never delivered, then start publishing."""
        for event in self._read_spool():
            self._pending.setdefault(event.event_id, event)
        if self._pending:
            log.info("republishing spooled events", extra={"count": len(self._pending)})
            self._wakeup.set()
        self._task = asyncio.create_task(self._publish_task(), name="event-publish-task")

    def publish(self, event: BusEvent) -> None:
        self._spool("event", event.model_dump_json())
        self._pending[event.event_id] = event
        self._wakeup.set()

    async def flush(self, timeout_s: float) -> bool:
        """Wait until everything queued was delivered; False if the timeout passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._pending and loop.time() < deadline:
            self._wakeup.set()
            await asyncio.sleep(0.02)
        return not self._pending

    async def aclose(self, timeout_s: float = 5.0) -> None:
        await self.flush(timeout_s)
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if not self._pending:
            self._compact()

    async def _publish_task(self) -> None:
        attempt = 0
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = list(self._pending.values())[:MAX_BATCH]
                delivered = await self._send(batch)
                for event_id in delivered:
                    self._pending.pop(event_id, None)
                    self._spool("ack", event_id)
                self.published += len(delivered)
                if len(delivered) < len(batch):
                    self.failures += 1
                    attempt += 1
                    delay = min(MAX_BACKOFF_S, self._base_backoff_s * 2 ** min(attempt, 10))
                    await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto
                else:
                    attempt = 0
            if not self._pending:
                self._compact()

    async def _send(self, batch: list[BusEvent]) -> list[str]:
        entries = [to_entry(e, bus_name=self._bus) for e in batch]
        try:
            response = await asyncio.to_thread(self._put_events, entries)
        except Exception as exc:  # any transport failure: keep every event, try again later
            log.warning("event publish failed", extra={"error": type(exc).__name__, "count": len(batch)})
            return []
        results = response.get("Entries", [])
        delivered = [
            e.event_id for e, r in zip(batch, results, strict=False) if "EventId" in r and not r.get("ErrorCode")
        ]
        if len(delivered) < len(batch):
            log.warning("events rejected", extra={"rejected": len(batch) - len(delivered)})
        return delivered

    def _put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self._client is None:
            self._client = self._client_factory()
        result: dict[str, Any] = self._client.put_events(Entries=entries)
        return result

    def _spool(self, kind: str, payload: str) -> None:
        if self._spool_path is None:
            return
        with self._spool_path.open("a", encoding="utf-8") as spool:
            spool.write(json.dumps({"kind": kind, "payload": payload}) + "\n")

    def _read_spool(self) -> list[BusEvent]:
        if self._spool_path is None or not self._spool_path.exists():
            return []
        events: dict[str, BusEvent] = {}
        for line in self._spool_path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                if record["kind"] == "event":
                    event = parse_event(record["payload"])
                    events[event.event_id] = event
                elif record["kind"] == "ack":
                    events.pop(record["payload"], None)
            except (ValueError, KeyError):
                log.warning("skipping a damaged spool line")
        return list(events.values())

    def _compact(self) -> None:
        if self._spool_path is not None and self._spool_path.exists():
            self._spool_path.write_text("", encoding="utf-8")
