"""In-memory providers implementing the provider Protocols (type-checked; no SDK involved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from media_worker.providers import (
    Finished,
    LanguageModel,
    LlmEvent,
    TextDelta,
    TextToSpeech,
    TtsUtterance,
    Usage,
)
from media_worker.providers.base import Message, ToolSpec
from switchboard.errors import ProviderError


class ScriptedLlm:
    """Streams the scripted events; ``hold`` keeps the stream open after them until cancelled."""

    def __init__(self, events: Sequence[LlmEvent], *, hold: bool = False, fail: bool = False) -> None:
        self.events = list(events)
        self.hold = hold
        self.fail = fail
        self.requests: list[list[Message]] = []
        self.closed_early = 0

    async def stream(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> AsyncIterator[LlmEvent]:
        self.requests.append(list(messages))
        if self.fail:
            raise ProviderError("fake-llm", "HTTP 500", retryable=True)
        finished = False
        try:
            for event in self.events:
                yield event
            if self.hold:
                await asyncio.Event().wait()
            finished = True
        finally:
            if not finished:
                self.closed_early += 1


class FakeUtterance:
    def __init__(self, utterance_id: str, audio_per_push: bytes) -> None:
        self.utterance_id = utterance_id
        self.pushed: list[str] = []
        self.finished = False
        self.cancelled = False
        self._audio_per_push = audio_per_push
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def push(self, text: str) -> None:
        self.pushed.append(text)
        self._queue.put_nowait(self._audio_per_push)

    async def finish(self) -> None:
        self.finished = True
        self._queue.put_nowait(None)

    async def cancel(self) -> None:
        self.cancelled = True
        self._queue.put_nowait(None)

    async def audio(self) -> AsyncIterator[bytes]:
        while (chunk := await self._queue.get()) is not None:
            yield chunk


class FakeTts:
    def __init__(self, audio_per_push: bytes = b"\x10" * 800) -> None:
        self.utterances: dict[str, FakeUtterance] = {}
        self.audio_per_push = audio_per_push
        self.connected = False

    async def connect(self) -> None:
        self.connected = True

    def start_utterance(self, utterance_id: str) -> TtsUtterance:
        utterance = FakeUtterance(utterance_id, self.audio_per_push)
        self.utterances[utterance_id] = utterance
        return utterance

    async def aclose(self) -> None:
        self.connected = False


def _typed(llm: ScriptedLlm, tts: FakeTts) -> tuple[LanguageModel, TextToSpeech]:
    return llm, tts  # mypy checks the fakes against the Protocols here


__all__ = ["FakeTts", "FakeUtterance", "Finished", "ScriptedLlm", "TextDelta", "Usage"]
