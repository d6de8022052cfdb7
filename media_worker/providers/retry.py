"""The one retry policy: exponential backoff with jitter, for retryable ProviderErrors only.

Adapters translate SDK failures into ``ProviderError(retryable=...)`` and call
``policy.run(open_something)`` on their connect paths; they hold no retry loops themselves.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from switchboard.errors import ProviderError

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt ``max_attempts`` times; before attempt n+1 wait
    ``min(max_delay_s, base_delay_s * multiplier**(n-1))`` scaled by a jitter factor in
    ``[1 - jitter, 1]``. ``sleep`` and ``random`` are injectable for tests."""

    max_attempts: int = 3
    base_delay_s: float = 0.2
    multiplier: float = 2.0
    max_delay_s: float = 2.0
    jitter: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and multiplier >= 1")

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (2, 3, ...)."""
        nominal = min(self.max_delay_s, self.base_delay_s * self.multiplier ** (attempt - 2))
        return nominal * (1.0 - self.jitter * self.random())

    def delays(self) -> Iterator[float]:
        """The waits between attempts, in order (``max_attempts - 1`` of them)."""
        return (self.delay_before(attempt) for attempt in range(2, self.max_attempts + 1))

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation``, retrying it on ``ProviderError(retryable=True)``; anything else propagates."""
        attempt = 1
        while True:
            try:
                return await operation()
            except ProviderError as error:
                if not error.retryable or attempt >= self.max_attempts:
                    raise
                attempt += 1
                delay = self.delay_before(attempt)
                log.warning(
                    "provider call failed; retrying",
                    extra={"provider": error.provider, "attempt": attempt, "delay_s": round(delay, 3)},
                )
                await self.sleep(delay)


NO_RETRY = RetryPolicy(max_attempts=1)


def retryable_status(status: int | None) -> bool:
    """Whether an HTTP status from a provider is worth retrying (timeouts, rate limits, 5xx)."""
    return status is None or status in (408, 409, 425, 429) or status >= 500


def refused(provider: str, status: int | None) -> ProviderError:
    """The ProviderError for a handshake/request refused with an HTTP status (no body: it may echo secrets)."""
    return ProviderError(provider, f"refused (HTTP {status})", retryable=retryable_status(status))
