"""Circuit breakers shared by every call of a worker, one per provider endpoint.

    closed --(N consecutive failures within window_s)--> open
    open --(cooldown_s passed; the next request is the probe)--> half_open
    half_open --(probe succeeded)--> closed
    half_open --(probe failed)--> open (a new cool-down)

While a breaker is open, :meth:`CircuitBreaker.allow` says no and the failover policy starts the
request on the secondary. In half-open exactly one request (the probe) is let through; if its
caller never reports (the call ended first), another probe is allowed after a further cool-down.
A success while closed resets the count (failures must be consecutive).

Every transition is logged as one structured line (``breaker transition``) carrying the call id
whose report or request caused it, and kept in :attr:`BreakerBoard.transitions`.
The clock is injectable (tests drive it by hand).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger("media_worker.resilience")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    failure_threshold: int = 3
    window_s: float = 60.0
    cooldown_s: float = 30.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.window_s <= 0 or self.cooldown_s <= 0:
            raise ValueError("failure_threshold must be >= 1, window_s and cooldown_s > 0")


@dataclass(frozen=True, slots=True)
class Transition:
    breaker: str
    from_state: BreakerState
    to_state: BreakerState
    at_s: float
    call_id: str


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        config: BreakerConfig,
        *,
        clock: Callable[[], float],
        on_transition: Callable[[Transition], None],
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._on_transition = on_transition
        self._state = BreakerState.CLOSED
        self._failures: deque[float] = deque()
        self._opened_at = 0.0
        self._probe_at: float | None = None

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self, call_id: str = "") -> bool:
        """May a request start on this provider now? In half-open, True grants the one probe."""
        now = self._clock()
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            if now - self._opened_at < self.config.cooldown_s:
                return False
            self._move(BreakerState.HALF_OPEN, call_id)
        if self._probe_at is not None and now - self._probe_at < self.config.cooldown_s:
            return False  # a probe is in flight
        self._probe_at = now
        return True

    def record_success(self, call_id: str = "") -> None:
        self._failures.clear()
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED, call_id)

    def record_failure(self, call_id: str = "") -> None:
        now = self._clock()
        if self._state is BreakerState.HALF_OPEN:
            self._open(now, call_id)
            return
        if self._state is BreakerState.OPEN:
            return  # a late report from a request that started before the breaker opened
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.config.window_s:
            self._failures.popleft()
        if len(self._failures) >= self.config.failure_threshold:
            self._open(now, call_id)

    def _open(self, now: float, call_id: str) -> None:
        self._opened_at = now
        self._failures.clear()
        self._move(BreakerState.OPEN, call_id)

    def _move(self, to: BreakerState, call_id: str) -> None:
        before, self._state = self._state, to
        self._probe_at = None
        self._on_transition(Transition(self.name, before, to, self._clock(), call_id))


class BreakerBoard:
    """The worker's breakers, by endpoint name. A breaker is created with the config of the first
    assistant that uses the endpoint; later callers share it as it is."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self.transitions: list[Transition] = []

    def get(self, name: str, config: BreakerConfig | None = None) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = CircuitBreaker(name, config or BreakerConfig(), clock=lambda: self.clock(),
                                     on_transition=self._record)  # fmt: skip
            self._breakers[name] = breaker
        return breaker

    def states(self) -> dict[str, BreakerState]:
        return {name: breaker.state for name, breaker in self._breakers.items()}

    def _record(self, transition: Transition) -> None:
        self.transitions.append(transition)
        if len(self.transitions) > 1000:
            del self.transitions[:500]
        log.warning(
            "breaker transition",
            extra={
                "call_id": transition.call_id,
                "breaker": transition.breaker,
                "from_state": str(transition.from_state),
                "to_state": str(transition.to_state),
            },
        )
