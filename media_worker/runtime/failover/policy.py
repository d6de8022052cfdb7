"""The one failover policy of a call, from the assistant's ``resilience`` settings, and where
its failover events are logged (one structured line each, with the call id)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from media_worker.providers import RetryPolicy
from media_worker.runtime.breakers import BreakerConfig
from media_worker.runtime.logs import CallLogger
from switchboard.models.assistant import ResilienceSettings

ENV_DEEPGRAM_SECONDARY_WS_URLS = "DEEPGRAM_SECONDARY_WS_URLS"
ENV_DEEPGRAM_SECONDARY_API_KEY = "DEEPGRAM_SECONDARY_API_KEY"
ENV_DEEPGRAM_API_KEY = "DEEPGRAM_API_KEY"
ENV_OPENAI_SECONDARY_BASE_URL = "OPENAI_SECONDARY_BASE_URL"
ENV_OPENAI_SECONDARY_API_KEY = "OPENAI_SECONDARY_API_KEY"

_log = logging.getLogger("media_worker.resilience")

CALL_BEING_OPENED: ContextVar[str] = ContextVar("call_being_opened", default="")
"""Set by the app around ``ProviderFactory.for_call`` so the failover decisions taken while a
call's providers are built (a breaker may already send it to a secondary) carry its call id."""


@dataclass(frozen=True)
class FailoverPolicy:
    """Deadlines, reconnect attempts and backoff, and breaker thresholds for one assistant."""

    first_token_deadline_s: float = 1.5
    stt_reconnect_attempts: int = 3
    backoff: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerConfig = field(default_factory=BreakerConfig)

    @classmethod
    def from_settings(cls, settings: ResilienceSettings) -> FailoverPolicy:
        b = settings.reconnect_backoff
        return cls(
            first_token_deadline_s=settings.first_token_deadline_ms / 1000,
            stt_reconnect_attempts=settings.stt_reconnect_attempts,
            backoff=RetryPolicy(
                max_attempts=settings.stt_reconnect_attempts,
                base_delay_s=b.base_ms / 1000,
                multiplier=b.multiplier,
                max_delay_s=b.max_ms / 1000,
                jitter=b.jitter,
            ),
            breaker=BreakerConfig(
                failure_threshold=settings.breaker.failure_threshold,
                window_s=settings.breaker.window_s,
                cooldown_s=settings.breaker.cooldown_s,
            ),
        )

    def reconnect_delay_s(self, attempt: int) -> float:
        """Wait before the ``attempt``-th try on the same endpoint (the first try waits nothing)."""
        return 0.0 if attempt <= 1 else self.backoff.delay_before(attempt)


@dataclass(frozen=True)
class FailoverEndpoints:
    """The worker's secondary endpoints (from its environment; keys never in repr).

    ``DEEPGRAM_SECONDARY_WS_URLS``: comma-separated Deepgram endpoints (another region) serving the
    assistant's secondary STTs in order (the last one serves any further), with
    ``DEEPGRAM_SECONDARY_API_KEY`` (default: ``DEEPGRAM_API_KEY``). ``OPENAI_SECONDARY_BASE_URL``
    (+ ``OPENAI_SECONDARY_API_KEY``, default the primary key): an OpenAI-compatible endpoint for a
    secondary LLM that names no ``base_url`` of its own.
    """

    deepgram_ws_urls: tuple[str, ...] = ()
    deepgram_api_key: str = field(default="", repr=False)
    openai_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FailoverEndpoints:
        env = os.environ if env is None else env
        urls = tuple(u.strip() for u in env.get(ENV_DEEPGRAM_SECONDARY_WS_URLS, "").split(",") if u.strip())
        deepgram_key = env.get(ENV_DEEPGRAM_SECONDARY_API_KEY, "").strip() or env.get(ENV_DEEPGRAM_API_KEY, "")
        return cls(
            deepgram_ws_urls=urls,
            deepgram_api_key=deepgram_key.strip(),
            openai_base_url=env.get(ENV_OPENAI_SECONDARY_BASE_URL, "").strip() or None,
            openai_api_key=env.get(ENV_OPENAI_SECONDARY_API_KEY, "").strip() or None,
        )

    def deepgram_url(self, index: int) -> str | None:
        """The endpoint of the ``index``-th secondary STT (None: the primary endpoint)."""
        if not self.deepgram_ws_urls:
            return None
        return self.deepgram_ws_urls[min(index, len(self.deepgram_ws_urls) - 1)]


class FailoverLog:
    """The call's failover log lines; bound to the call's logger once the session exists."""

    def __init__(self, call_id: str | None = None) -> None:
        self.call_id = CALL_BEING_OPENED.get() if call_id is None else call_id
        self._call_log: CallLogger | None = None
        self.events: list[tuple[str, dict[str, Any]]] = []

    def bind(self, call_log: CallLogger) -> None:
        self._call_log = call_log
        self.call_id = call_log.call_id

    def event(self, msg: str, **fields: Any) -> None:
        """One failover event (always a warning: something failed and the call moved)."""
        self.events.append((msg, fields))
        if self._call_log is not None:
            self._call_log.warning(msg, **fields)
        else:
            _log.warning(msg, extra={"call_id": self.call_id, **fields})
