"""STT failover: the lane's reconnect plan. After ``stt_reconnect_attempts`` failed attempts on
an endpoint (with the policy's backoff between them) the next endpoint in the assistant's order
is tried at once; the lane replays the audio since the last final transcript to whichever stream
it reaches, so no caller words are lost.

A call starts on the first endpoint whose breaker allows it (primary first); a reconnect skips
endpoints whose breakers are open, unless every one is open (then all are tried in order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from media_worker.providers import SpeechToText
from media_worker.runtime.breakers import CircuitBreaker
from switchboard.errors import ProviderError

from .policy import FailoverLog, FailoverPolicy


@dataclass(frozen=True)
class SttEndpoint:
    name: str
    open: Callable[[], SpeechToText]
    breaker: CircuitBreaker


class SttFailover:
    """Implements the lane's ``SttReconnects``: ``plan()`` and ``report()``."""

    def __init__(self, endpoints: Sequence[SttEndpoint], *, policy: FailoverPolicy, log: FailoverLog) -> None:
        if not endpoints:
            raise ValueError("at least one STT endpoint is needed")
        self.endpoints = tuple(endpoints)
        self.policy = policy
        self.log = log
        self.current = 0
        self.failovers = 0

    @property
    def endpoint(self) -> SttEndpoint:
        return self.endpoints[self.current]

    def first(self) -> SpeechToText:
        """The call's first stream, on the first endpoint whose breaker allows it."""
        call_id = self.log.call_id
        allowed = [i for i, e in enumerate(self.endpoints) if e.breaker.allow(call_id)]
        index = allowed[0] if allowed else 0
        if index != 0:
            self._switch(index, "breaker_open")
        return self.endpoints[index].open()

    def plan(self) -> Iterator[tuple[float, Callable[[], SpeechToText]]]:
        call_id = self.log.call_id
        count = len(self.endpoints)
        order = [(self.current + k) % count for k in range(count)]
        allowed = [i for i in order if self.endpoints[i].breaker.allow(call_id)] or order
        for index in allowed:
            if index != self.current:
                self._switch(index, "reconnect_failed")
            for attempt in range(1, self.policy.stt_reconnect_attempts + 1):
                yield self.policy.reconnect_delay_s(attempt), self.endpoints[index].open

    def report(self, ok: bool, error: ProviderError | None = None) -> None:
        breaker = self.endpoint.breaker
        if ok:
            breaker.record_success(self.log.call_id)
        else:
            breaker.record_failure(self.log.call_id)

    def _switch(self, index: int, reason: str) -> None:
        before = self.endpoint.name
        self.current = index
        self.failovers += 1
        self.log.event("stt failover", reason=reason, from_endpoint=before, to_endpoint=self.endpoint.name)
