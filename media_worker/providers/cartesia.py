"""``CartesiaTextToSpeech``: one Cartesia WebSocket per call, one context per assistant turn,
``pcm_mulaw`` at 8000 Hz so the audio goes to the carrier without resampling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cartesia import AsyncCartesia
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from media_worker.providers.base import AudioQueue, drain_audio
from media_worker.providers.retry import RetryPolicy, refused, retryable_status
from switchboard.errors import ProviderError

PROVIDER = "cartesia"
OUTPUT_FORMAT = {"container": "raw", "encoding": "pcm_mulaw", "sample_rate": 8000}

_End = None


def cartesia_client(
    api_key: str, *, base_url: str = "https://api.cartesia.ai", ws_url: str = "wss://api.cartesia.ai"
) -> AsyncCartesia:
    """The SDK client, shared by every call of a process (building one costs tens of ms of CPU).
    ``ws_url`` must be given for a plain ``ws://`` endpoint: otherwise the SDK forces ``wss://``."""
    client = AsyncCartesia(api_key=api_key, base_url=base_url, websocket_base_url=ws_url)
    _ = client.tts  # lazily imported by the SDK: do it now, not mid-call
    return client


class CartesiaUtterance:
    """One context. ``audio()`` yields mu-law bytes until ``done``, ``cancel()``, or a failure."""

    def __init__(self, utterance_id: str, context: Any, on_end: Any) -> None:
        self.utterance_id = utterance_id
        self._context = context
        self._on_end = on_end
        self._queue: AudioQueue = asyncio.Queue()
        self._pump = asyncio.create_task(self._receive_task(), name=f"cartesia-receive-{utterance_id}")
        self._ended = False
        self._input_done = False

    @property
    def ended(self) -> bool:
        return self._ended

    async def push(self, text: str) -> None:
        if self._ended or self._input_done or not text:
            return
        try:
            await self._context.push(text)
        except ConnectionClosed:
            error = ProviderError(PROVIDER, "connection lost while sending text", retryable=True)
            self.fail(error)
            raise error from None

    async def finish(self) -> None:
        if self._ended or self._input_done:
            return
        self._input_done = True
        try:
            await self._context.no_more_inputs()
        except ConnectionClosed:
            error = ProviderError(PROVIDER, "connection lost while finishing", retryable=True)
            self.fail(error)
            raise error from None

    async def cancel(self) -> None:
        if self._ended:
            return
        self._end(_End)
        with contextlib.suppress(ConnectionClosed):
            await self._context.cancel()

    def audio(self) -> AsyncIterator[bytes]:
        return drain_audio(self._queue)

    def fail(self, error: ProviderError) -> None:
        """End the utterance with ``error`` (raised from ``audio()``)."""
        if not self._ended:
            self._end(error)

    def _end(self, final: ProviderError | None) -> None:
        self._ended = True
        if self._pump is not asyncio.current_task():
            self._pump.cancel()
        self._queue.put_nowait(final)
        self._on_end(self.utterance_id)

    async def _receive_task(self) -> None:
        async for event in self._context.receive():
            kind = getattr(event, "type", None)
            if kind == "chunk":
                audio = event.audio
                if audio:
                    self._queue.put_nowait(audio)
            elif kind == "done":
                self._end(_End)
                return
            elif kind == "error":
                status = getattr(event, "status_code", None)
                detail = getattr(event, "message", None) or getattr(event, "title", None) or "generation failed"
                self._end(ProviderError(PROVIDER, f"context error: {detail}", retryable=retryable_status(status)))
                return


class CartesiaTextToSpeech:
    """``connect()`` at stream start; ``start_utterance(id)`` per assistant turn; ``aclose()`` at the end."""

    def __init__(
        self,
        client: AsyncCartesia,
        *,
        voice_id: str,
        model_id: str = "sonic-3",
        language: str = "en",
        max_buffer_delay_ms: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._client = client
        self._voice = {"mode": "id", "id": voice_id}
        self._model_id = model_id
        self._language = language
        self._max_buffer_delay_ms = max_buffer_delay_ms
        self._retry = retry or RetryPolicy()
        self._manager: Any = None
        self._connection: Any = None
        self._watch: asyncio.Task[None] | None = None
        self._active: dict[str, CartesiaUtterance] = {}
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def connect(self) -> None:
        if self._connection is not None:
            return
        self._closing = False
        await self._retry.run(self._open)
        self._watch = asyncio.create_task(self._watch_task(self._connection), name="cartesia-watch")

    async def _open(self) -> None:
        manager = self._client.tts.websocket_connect()
        try:
            connection = await manager.enter()
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise refused(PROVIDER, status) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise ProviderError(PROVIDER, f"connect failed ({type(exc).__name__})", retryable=True) from None
        self._manager, self._connection = manager, connection

    def start_utterance(self, utterance_id: str) -> CartesiaUtterance:
        if self._connection is None:
            raise ProviderError(PROVIDER, "not connected", retryable=True)
        context = self._connection.context(
            context_id=utterance_id,
            model_id=self._model_id,
            voice=self._voice,
            output_format=OUTPUT_FORMAT,
            language=self._language,
            max_buffer_delay_ms=self._max_buffer_delay_ms,
        )
        utterance = CartesiaUtterance(utterance_id, context, self._active.pop)
        self._active[utterance_id] = utterance
        return utterance

    async def aclose(self) -> None:
        self._closing = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for utterance in list(self._active.values()):
            utterance.fail(ProviderError(PROVIDER, "closed", retryable=False))
        if self._connection is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._connection.close()
        self._connection = self._manager = None

    async def _watch_task(self, connection: Any) -> None:
        # The SDK's reader ends silently when the socket dies, leaving receive() waiting forever;
        # watch the socket itself so every live utterance fails fast instead.
        await _raw_socket(connection).wait_closed()
        if self._closing or connection is not self._connection:
            return
        self._connection = self._manager = None
        for utterance in list(self._active.values()):
            utterance.fail(ProviderError(PROVIDER, "connection lost", retryable=True))


def _raw_socket(connection: Any) -> Any:
    """The websockets ClientConnection under the SDK's AsyncTTSResourceConnection (cartesia 4.2)."""
    return connection._connection
