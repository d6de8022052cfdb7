"""The LLM half of post-call analysis: one structured-output request, validated, retried once, then a fallback.

A call without caller speech never reaches the LLM. Transport failures (timeouts, 5xx, 429)
raise a retryable :class:`ProviderError` so SQS redelivers the message; once a message has
been received ``fallback_after_receives`` times, they yield the neutral fallback instead, so
an LLM outage cannot hold back the CRM writeback and the cost ledger for ever.
"""

from __future__ import annotations

import logging
from typing import Any

import openai

from switchboard.analysis import (
    InvalidAnalysis,
    Redactor,
    build_messages,
    caller_spoke,
    neutral_analysis,
    no_redaction,
    parse_analysis,
    response_format,
    rule_based_analysis,
)
from switchboard.errors import ProviderError
from switchboard.events import CallEnded
from switchboard.models import AnalysisSettings, CallAnalysis

logger = logging.getLogger(__name__)
VALIDATION_ATTEMPTS = 2


class CallAnalyzer:
    def __init__(self, client: openai.OpenAI | None, *, model: str, fallback_after_receives: int = 3) -> None:
        """*client* None means no LLM is configured: calls with speech get the neutral fallback."""
        self._client = client
        self._model = model
        self._fallback_after = fallback_after_receives

    def analyze(
        self,
        event: CallEnded,
        settings: AnalysisSettings,
        *,
        receive_count: int = 1,
        redact: Redactor = no_redaction,
    ) -> CallAnalysis:
        if not caller_spoke(event.transcript):
            return rule_based_analysis(event.end_reason, settings)
        if self._client is None:
            logger.warning("no LLM configured for analysis; storing the neutral fallback", extra={"call_id":
                                                                                                  event.call_id})
            return neutral_analysis(settings)
        messages = build_messages(event.transcript, settings, end_reason=event.end_reason, redact=redact)
        for attempt in range(1, VALIDATION_ATTEMPTS + 1):
            try:
                content = self._complete(messages, settings)
            except ProviderError as exc:
                if not exc.retryable or receive_count >= self._fallback_after:
                    logger.error("analysis LLM unavailable; storing the neutral fallback",
                                 extra={"call_id": event.call_id, "receive_count": receive_count, "error": str(exc)})
                    return neutral_analysis(settings)
                raise
            try:
                return parse_analysis(content, settings)
            except InvalidAnalysis as exc:
                logger.warning("invalid analysis output", extra={"call_id": event.call_id, "attempt": attempt,
                                                                  "reason": str(exc)})
        return neutral_analysis(settings)

    def _complete(self, messages: list[dict[str, str]], settings: AnalysisSettings) -> str | None:
        assert self._client is not None
        request: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "response_format": response_format(settings),
            "temperature": 0,
        }
        try:
            completion = self._client.chat.completions.create(**request)
        except (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
                openai.InternalServerError) as exc:
            raise ProviderError("openai", f"analysis request failed: {type(exc).__name__}", retryable=True) from None
        except openai.APIStatusError as exc:
            raise ProviderError("openai", f"analysis request rejected: HTTP {exc.status_code}",
                                retryable=False) from None
        if not completion.choices:
            return None
        content: str | None = completion.choices[0].message.content
        return content
