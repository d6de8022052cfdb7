"""``OpenAILanguageModel``: streaming Chat Completions with tools and usage, on any
OpenAI-compatible endpoint (OpenAI, Groq, vLLM, llama.cpp, Ollama) chosen by base URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI

from media_worker.providers.base import (
    Finished,
    LlmEvent,
    Message,
    TextDelta,
    ToolCallRequested,
    ToolSpec,
    Usage,
)
from media_worker.providers.retry import RetryPolicy, retryable_status
from switchboard.errors import ProviderError

PROVIDER = "openai"


def openai_client(api_key: str, *, base_url: str = "https://api.openai.com/v1", timeout_s: float = 30.0) -> AsyncOpenAI:
    """The SDK client, shared by every call of a process (building one costs tens of ms of CPU).
    SDK-level retries are off: the one RetryPolicy decides."""
    client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s)
    _ = client.chat.completions  # the SDK imports its resources lazily (~50 ms): do it now, not mid-call
    return client


class OpenAILanguageModel:
    """``stream(messages, tools)`` yields TextDelta / ToolCallRequested / Usage, then Finished.

    Opening the request goes through the retry policy (nothing has been emitted yet, so it is
    safe); a failure after the first event is raised as ProviderError and never retried here.
    Closing the iterator (``aclose()`` or cancelling its consumer) closes the HTTP stream.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._retry = retry or RetryPolicy()

    @property
    def model(self) -> str:
        return self._model

    async def stream(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> AsyncIterator[LlmEvent]:
        response = await self._retry.run(lambda: self._open(messages, tools))
        calls = _ToolCallAssembler()
        finish_reason: str | None = None
        try:
            async for chunk in response:
                if chunk.usage is not None:
                    yield Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        yield TextDelta(delta.content)
                    for fragment in (delta.tool_calls or []) if delta is not None else []:
                        for complete in calls.add(fragment):
                            yield complete
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                        for complete in calls.flush():
                            yield complete
        except openai.OpenAIError as exc:
            raise translate_error(exc) from None
        finally:
            await response.close()
        if finish_reason is None:
            raise ProviderError(PROVIDER, "stream ended without a finish_reason", retryable=True)
        yield Finished(finish_reason)

    async def _open(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> Any:
        params: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            params["tools"] = [dict(t) for t in tools]
        if self._temperature is not None:
            params["temperature"] = self._temperature
        if self._max_tokens is not None:
            params["max_tokens"] = self._max_tokens
        try:
            return await self._client.chat.completions.create(**params)
        except openai.OpenAIError as exc:
            raise translate_error(exc) from None


def translate_error(exc: openai.OpenAIError) -> ProviderError:
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return ProviderError(PROVIDER, f"HTTP {status} ({type(exc).__name__})", retryable=retryable_status(status))
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return ProviderError(PROVIDER, f"connection failed ({type(exc).__name__})", retryable=True)
    if isinstance(exc, openai.APIError):  # an error event inside the stream
        return ProviderError(PROVIDER, f"stream error: {exc.message}", retryable=True)
    return ProviderError(PROVIDER, type(exc).__name__, retryable=False)


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class _ToolCallAssembler:
    """Joins streamed tool-call fragments (keyed by index); a call is complete when a later
    index starts or the choice finishes."""

    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}

    def add(self, fragment: Any) -> list[ToolCallRequested]:
        done = []
        if fragment.index not in self._calls:
            done = self._take(lambda index: index < fragment.index)
            self._calls[fragment.index] = _PartialCall()
        call = self._calls[fragment.index]
        if fragment.id:
            call.id = fragment.id
        if fragment.function is not None:
            if fragment.function.name:
                call.name += fragment.function.name
            if fragment.function.arguments:
                call.arguments.append(fragment.function.arguments)
        return done

    def flush(self) -> list[ToolCallRequested]:
        return self._take(lambda index: True)

    def _take(self, which: Callable[[int], bool]) -> list[ToolCallRequested]:
        ready = sorted(index for index in self._calls if which(index))
        out = []
        for index in ready:
            call = self._calls.pop(index)
            out.append(ToolCallRequested(call.id, call.name, "".join(call.arguments) or "{}"))
        return out
