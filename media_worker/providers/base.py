"""The roles a provider plays in a call, as small Protocols, and the typed events they emit.

Adapters (``<Vendor><Role>``) implement these with the real SDKs; failures surface as
``switchboard.errors.ProviderError(provider, message, retryable=...)``. Retries live in
``providers.retry``; failover lives in the runtime. Neither lives in an adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from switchboard.errors import ProviderError

# -- speech to text ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float
    punctuated: str


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The STT's VAD heard speech begin, at ``timestamp_s`` in stream time."""

    timestamp_s: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """An interim (``is_final=False``) or final transcript of the audio window ``start_s``..+``duration_s``."""

    text: str
    is_final: bool
    speech_final: bool
    words: tuple[Word, ...]
    start_s: float
    duration_s: float
    from_finalize: bool = False
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class UtteranceEnd:
    """A gap in speech after the last finalized word (stream time)."""

    last_word_end_s: float


SttEvent = SpeechStarted | Transcript | UtteranceEnd


@runtime_checkable
class SpeechToText(Protocol):
    async def connect(self) -> None:
        """Open the stream (pre-warm at call start, before the caller speaks)."""

    async def send_audio(self, mulaw: bytes) -> None:
        """Forward caller audio: mu-law, 8 kHz, mono, any frame size."""

    async def finalize(self) -> None:
        """Ask for a final transcript of what was heard so far."""

    def events(self) -> AsyncIterator[SttEvent]:
        """Events until the stream closes; raises ProviderError if it fails."""
        ...

    async def aclose(self) -> None: ...


# -- language model ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallRequested:
    """A complete tool call (assembled from the streamed fragments)."""

    id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class Finished:
    """Always the last event of a stream: ``stop``, ``tool_calls``, ``length``, ..."""

    reason: str


LlmEvent = TextDelta | ToolCallRequested | Usage | Finished

Message = Mapping[str, Any]
ToolSpec = Mapping[str, Any]


@runtime_checkable
class LanguageModel(Protocol):
    def stream(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> AsyncIterator[LlmEvent]:
        """Stream one completion. Cancelling the consumer or ``aclose()`` on the iterator closes the request."""
        ...


# -- text to speech ----------------------------------------------------------------------------


AudioQueue = asyncio.Queue[bytes | ProviderError | None]
"""An utterance's audio lane: chunks, then ``None`` (done) or a :class:`ProviderError` (failed)."""


async def drain_audio(queue: AudioQueue) -> AsyncIterator[bytes]:
    """Yield an utterance's chunks until it ends; raise the error it ended with, if any."""
    while True:
        item = await queue.get()
        if item is None:
            return
        if isinstance(item, ProviderError):
            raise item
        yield item


@runtime_checkable
class TtsUtterance(Protocol):
    """One assistant turn's speech: push text as it streams, read audio as it comes."""

    utterance_id: str

    async def push(self, text: str) -> None: ...

    async def finish(self) -> None:
        """No more text: audio() ends after the last chunk."""

    async def cancel(self) -> None:
        """Stop generating (barge-in): audio() ends promptly."""

    def audio(self) -> AsyncIterator[bytes]:
        """mu-law 8 kHz audio; raises ProviderError if generation fails."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    async def connect(self) -> None:
        """Open the call's connection (pre-warm at call start)."""

    def start_utterance(self, utterance_id: str) -> TtsUtterance: ...

    async def aclose(self) -> None: ...
