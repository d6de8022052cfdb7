"""The one retry policy every CRM writer uses: honour 429 ``Retry-After``, back off on 5xx and timeouts.

A request that may already have taken effect when it failed (a create that timed out or got
a 5xx) is not retried in-process (``idempotent=False``): only a 429, which means "not
applied", is. The error propagates instead; by the SQS redelivery the CRM's search index
has caught up and the writer's dedupe check finds the record if it was created.

Waits are bounded so a Lambda never sleeps past its budget: a ``Retry-After`` longer than
``max_retry_after_s`` is not waited out here; the error propagates (still retryable) and the
SQS redelivery does the waiting.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .base import CrmError

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def delay_for(self, error: CrmError, attempt: int, *, idempotent: bool = True) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up now."""
        if not error.retryable or attempt >= self.attempts:
            return None
        if not idempotent and error.status != 429:
            return None
        if error.retry_after is not None:
            retry_after = float(error.retry_after)
            return retry_after if retry_after <= self.max_retry_after_s else None
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        return backoff * (0.5 + self.jitter() / 2)

    def run(self, what: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
        """Call *operation* until it succeeds, a non-retryable :class:`CrmError`, or attempts run out."""
        attempt = 1
        while True:
            try:
                return operation()
            except CrmError as error:
                delay = self.delay_for(error, attempt, idempotent=idempotent)
                if delay is None:
                    raise
                logger.warning(
                    "CRM request failed; retrying",
                    extra={"crm": error.provider, "operation": what, "status": error.status, "attempt": attempt,
                           "delay_s": round(delay, 3)},
                )
                self.sleep(delay)
                attempt += 1
