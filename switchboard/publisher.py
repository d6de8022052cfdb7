"""A small synchronous EventBridge publisher for the Lambdas.

``publish`` sends events with ``PutEvents`` (batches of ten, the API's limit), resends only the
entries EventBridge reports as failed, retries transport errors, and raises
:class:`EventPublishError` naming the events that still failed. The media worker has its own
asynchronous publisher with an on-disk spool; this one stays tiny because a Lambda that fails to
publish fails its invocation, and the caller (a carrier webhook) retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import SwitchboardError
from .events import BusEvent, to_entry

MAX_ENTRIES_PER_CALL = 10


class EventPublishError(SwitchboardError):
    """Events that EventBridge did not accept after every attempt."""

    def __init__(self, event_ids: Sequence[str], error_codes: Sequence[str]) -> None:
        super().__init__(f"{len(event_ids)} event(s) not published: {', '.join(sorted(set(error_codes)))}")
        self.event_ids = tuple(event_ids)
        self.error_codes = tuple(error_codes)


class EventPublisher:
    """Publishes bus events to one event bus through a boto3 ``events`` client."""

    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        max_attempts: int = 3,
        backoff_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._bus_name = bus_name
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    @property
    def bus_name(self) -> str:
        return self._bus_name

    def publish(self, *events: BusEvent) -> None:
        """Publish *events*; raise :class:`EventPublishError` if any is still rejected after retries."""
        failed_ids: list[str] = []
        failed_codes: list[str] = []
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            batch = events[start : start + MAX_ENTRIES_PER_CALL]
            for event, code in self._publish_batch(batch):
                failed_ids.append(event.event_id)
                failed_codes.append(code)
        if failed_ids:
            raise EventPublishError(failed_ids, failed_codes)

    def _publish_batch(self, batch: Sequence[BusEvent]) -> list[tuple[BusEvent, str]]:
        pending = list(batch)
        failures: list[tuple[BusEvent, str]] = []
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            failures = self._put(pending)
            if not failures:
                return []
            pending = [event for event, _ in failures]
        return failures

    def _put(self, events: list[BusEvent]) -> list[tuple[BusEvent, str]]:
        entries = [to_entry(event, bus_name=self._bus_name) for event in events]
        try:
            response = self._client.put_events(Entries=entries)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            return [(event, code) for event in events]
        except BotoCoreError as exc:
            return [(event, type(exc).__name__) for event in events]
        results = response.get("Entries", [])
        if not response.get("FailedEntryCount"):
            return []
        return [
            (event, str(result.get("ErrorCode") or "Unknown"))
            for event, result in zip(events, results, strict=False)
            if "EventId" not in result or result.get("ErrorCode")
        ]
