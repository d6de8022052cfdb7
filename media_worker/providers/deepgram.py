"""``DeepgramSpeechToText``: live STT over deepgram-sdk v7 (``listen.v1``), mu-law 8 kHz straight through."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any

from deepgram import AsyncDeepgramClient
from deepgram.core.api_error import ApiError
from deepgram.environment import DeepgramClientEnvironment
from deepgram.listen.v1.types.listen_v1error import ListenV1Error
from deepgram.listen.v1.types.listen_v1results import ListenV1Results
from deepgram.listen.v1.types.listen_v1speech_started import ListenV1SpeechStarted
from deepgram.listen.v1.types.listen_v1utterance_end import ListenV1UtteranceEnd
from websockets.exceptions import ConnectionClosed, WebSocketException

from media_worker.providers.base import SpeechStarted, SttEvent, Transcript, UtteranceEnd, Word
from media_worker.providers.retry import RetryPolicy, refused
from switchboard.errors import ProviderError

PROVIDER = "deepgram"


def deepgram_client(
    api_key: str, *, ws_url: str = "wss://api.deepgram.com", http_url: str = "https://api.deepgram.com"
) -> AsyncDeepgramClient:
    """The SDK client, shared by every call of a process (building one costs tens of ms of CPU)."""
    environment = DeepgramClientEnvironment(base=http_url, production=ws_url, agent=ws_url, agent_rest=http_url)
    client = AsyncDeepgramClient(api_key=api_key, environment=environment)
    _ = client.listen.v1  # lazily imported by the SDK: do it now, not mid-call
    return client


class DeepgramSpeechToText:
    """One live transcription stream per call. ``connect()`` at stream start; then ``send_audio``
    and iterate ``events()`` concurrently; ``aclose()`` at the end. KeepAlive is sent by an
    internal task whenever no audio went out for ``keepalive_idle_s`` (checked every
    ``keepalive_interval_s``)."""

    def __init__(
        self,
        client: AsyncDeepgramClient,
        *,
        model: str = "nova-3",
        language: str | None = None,
        endpointing_ms: int = 300,
        utterance_end_ms: int | None = 1000,
        keyterms: Sequence[str] = (),
        smart_format: bool = True,
        keepalive_interval_s: float = 5.0,
        keepalive_idle_s: float = 3.0,
        close_timeout_s: float = 2.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._options = _listen_options(model, language, endpointing_ms, utterance_end_ms, keyterms, smart_format)
        self._keepalive_interval_s = keepalive_interval_s
        self._keepalive_idle_s = keepalive_idle_s
        self._close_timeout_s = close_timeout_s
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._stack: AsyncExitStack | None = None
        self._socket: Any = None
        self._keepalive: asyncio.Task[None] | None = None
        self._last_sent = clock()
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._closing

    async def connect(self) -> None:
        if self._socket is not None:
            return
        await self._retry.run(self._open)
        self._last_sent = self._clock()
        self._keepalive = asyncio.create_task(self._keepalive_task(), name="deepgram-keepalive")

    async def _open(self) -> None:
        stack = AsyncExitStack()
        try:
            self._socket = await stack.enter_async_context(self._client.listen.v1.connect(**self._options))
        except ApiError as exc:
            await stack.aclose()
            status = exc.status_code
            raise refused(PROVIDER, status) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            await stack.aclose()
            raise ProviderError(PROVIDER, f"connect failed ({type(exc).__name__})", retryable=True) from None
        self._stack = stack

    async def send_audio(self, mulaw: bytes) -> None:
        socket = self._require_socket()
        try:
            await socket.send_media(mulaw)
        except ConnectionClosed as exc:
            raise _closed_error(exc) from None
        self._last_sent = self._clock()

    async def finalize(self) -> None:
        socket = self._require_socket()
        try:
            await socket.send_finalize()
        except ConnectionClosed as exc:
            raise _closed_error(exc) from None

    async def events(self) -> AsyncIterator[SttEvent]:
        socket = self._require_socket()
        try:
            async for message in socket:
                if isinstance(message, ListenV1Error):
                    detail = message.description or message.message or "error"
                    raise ProviderError(PROVIDER, f"stream error: {detail}", retryable=True)
                event = translate(message)
                if event is not None:
                    yield event
        except ConnectionClosed as exc:
            if self._closing:
                return
            raise _closed_error(exc) from None
        if not self._closing:
            raise ProviderError(PROVIDER, "stream closed by the server", retryable=True)

    async def aclose(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
        with contextlib.suppress(ConnectionClosed, OSError, ApiError, TimeoutError):
            async with asyncio.timeout(self._close_timeout_s):
                if self._socket is not None:
                    await self._socket.send_close_stream()
                if self._stack is not None:
                    await self._stack.aclose()
        self._socket = None
        self._stack = None

    def _require_socket(self) -> Any:
        if self._socket is None or self._closing:
            raise ProviderError(PROVIDER, "stream is not connected", retryable=True)
        return self._socket

    async def _keepalive_task(self) -> None:
        while True:
            await asyncio.sleep(self._keepalive_interval_s)
            socket = self._socket
            if socket is None:
                return
            if self._clock() - self._last_sent >= self._keepalive_idle_s:
                try:
                    await socket.send_keep_alive()
                except ConnectionClosed:
                    return  # events() reports the failure
                self._last_sent = self._clock()


def translate(message: object) -> SttEvent | None:
    """One SDK message -> our event; None for messages we do not use (Metadata, unknown types)."""
    if isinstance(message, ListenV1Results):
        alternatives = message.channel.alternatives if message.channel else []
        best = alternatives[0] if alternatives else None
        raw_words = best.words if best else []
        words = tuple(Word(w.word, w.start, w.end, w.confidence, w.punctuated_word or w.word) for w in raw_words)
        return Transcript(
            text=best.transcript if best else "",
            is_final=bool(message.is_final),
            speech_final=bool(message.speech_final),
            words=words,
            start_s=message.start,
            duration_s=message.duration,
            from_finalize=bool(message.from_finalize),
            confidence=best.confidence if best else 0.0,
        )
    if isinstance(message, ListenV1SpeechStarted):
        return SpeechStarted(message.timestamp)
    if isinstance(message, ListenV1UtteranceEnd):
        return UtteranceEnd(message.last_word_end)
    return None


def _listen_options(
    model: str,
    language: str | None,
    endpointing_ms: int,
    utterance_end_ms: int | None,
    keyterms: Sequence[str],
    smart_format: bool,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "model": model,
        "encoding": "mulaw",
        "sample_rate": 8000,
        "channels": 1,
        "interim_results": "true",
        "endpointing": endpointing_ms,
        "vad_events": "true",
        "smart_format": "true" if smart_format else "false",
    }
    if utterance_end_ms is not None:
        options["utterance_end_ms"] = utterance_end_ms
    if language:
        options["language"] = language
    if keyterms:
        options["keyterm"] = list(keyterms)  # the SDK repeats the parameter: keyterm=a&keyterm=b
    return options


def _closed_error(exc: ConnectionClosed) -> ProviderError:
    code = exc.rcvd.code if exc.rcvd is not None else 1006
    return ProviderError(PROVIDER, f"stream closed unexpectedly (code {code})", retryable=True)
