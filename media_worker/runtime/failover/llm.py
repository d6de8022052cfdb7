"""LLM failover: no first token from the primary within the deadline, or an error before it, and
the request is cancelled and retried once on the secondary OpenAI-compatible endpoint.

A request whose breaker is open starts on the secondary at once (half-open: one probe goes to the
primary). Once the first token arrived nothing is retried (the caller may already hear it); a
later failure is raised as it is, and the call loop apologises.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from media_worker.providers import LanguageModel, LlmEvent
from media_worker.providers.base import Message, ToolSpec
from media_worker.runtime.breakers import CircuitBreaker
from switchboard.errors import ProviderError

from .policy import FailoverLog


@dataclass(frozen=True)
class LlmEndpoint:
    name: str
    model: LanguageModel
    breaker: CircuitBreaker


class FailoverLanguageModel:
    def __init__(self, primary: LlmEndpoint, secondary: LlmEndpoint, *, deadline_s: float, log: FailoverLog) -> None:
        self.primary = primary
        self.secondary = secondary
        self.deadline_s = deadline_s
        self.log = log
        self.failovers = 0

    async def stream(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> AsyncIterator[LlmEvent]:
        call_id = self.log.call_id
        if not self.primary.breaker.allow(call_id):
            self.log.event("llm failover", reason="breaker_open", from_endpoint=self.primary.name,
                           to_endpoint=self.secondary.name)  # fmt: skip
            async for event in self.secondary.model.stream(messages, tools):
                yield event
            return
        events = self.primary.model.stream(messages, tools)
        try:
            try:
                async with asyncio.timeout(self.deadline_s):
                    first = await anext(events)
            except StopAsyncIteration:
                return
            except (TimeoutError, ProviderError) as error:
                await _close(events)  # cancels the HTTP request (a stalled one is still open)
                self.primary.breaker.record_failure(call_id)
                self.failovers += 1
                reason = "first_token_deadline" if isinstance(error, TimeoutError) else "error"
                self.log.event("llm failover", reason=reason, from_endpoint=self.primary.name,
                               to_endpoint=self.secondary.name, deadline_ms=round(self.deadline_s * 1000))  # fmt: skip
                async for event in self.secondary.model.stream(messages, tools):
                    yield event
                return
            self.primary.breaker.record_success(call_id)
            yield first
            async for event in events:
                yield event
        finally:
            await _close(events)


async def _close(events: AsyncIterator[LlmEvent]) -> None:
    """Close the stream (an async generator closes its HTTP request); a no-op once it has ended."""
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
