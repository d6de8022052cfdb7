"""TTS failover: when the primary voice fails mid-call, the call moves to the secondary vendor
for the rest of the call, and the failed utterance continues there from a clause boundary.

The clause in which the failure happened is synthesised again on the secondary, followed by the
clauses after it, so the caller hears the reply go on in a changed voice instead of silence. A
streaming TTS does not say which clause its audio belongs to, so that clause is estimated from
the audio received so far and the call's measured milliseconds per character (the default is
about 15 characters a second); the estimate errs towards repeating a clause, never skipping one.

A call whose primary breaker is open starts on the secondary (half-open: one call probes the
primary). The first audio of an utterance counts as a success for the primary's breaker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from media_worker.providers import TextToSpeech, TtsUtterance
from media_worker.runtime.breakers import CircuitBreaker
from switchboard.errors import ProviderError

from .policy import FailoverLog

DEFAULT_MS_PER_CHAR = 66.0  # ~15 characters a second, a typical speaking rate
BYTES_PER_MS = 8  # mu-law 8 kHz


@dataclass(frozen=True)
class TtsEndpoint:
    name: str
    tts: TextToSpeech
    breaker: CircuitBreaker


def clauses_to_replay(clauses: Sequence[str], received_ms: float, ms_per_char: float) -> list[str]:
    """The clause the audio stopped in (estimated) and every clause after it."""
    if received_ms <= 0 or not clauses:
        return list(clauses)
    covered_chars = received_ms / max(ms_per_char, 1e-6)
    end = 0
    for index, clause in enumerate(clauses):
        end += len(clause)
        if end > covered_chars:
            return list(clauses[index:])
    return list(clauses[-1:])  # all of it seemed spoken, yet it failed: say the last clause again


class FailoverTextToSpeech:
    def __init__(self, primary: TtsEndpoint, secondary: TtsEndpoint, *, log: FailoverLog) -> None:
        self.primary = primary
        self.secondary = secondary
        self.log = log
        self.active = primary
        self.failovers = 0
        self._connected: set[str] = set()
        self._ms_per_char = DEFAULT_MS_PER_CHAR

    @property
    def on_secondary(self) -> bool:
        return self.active is self.secondary

    async def connect(self) -> None:
        if not self.primary.breaker.allow(self.log.call_id):
            self.switch("breaker_open", None)
        if self.active is self.primary:
            try:
                await self.primary.tts.connect()
                self._connected.add(self.primary.name)
                return
            except ProviderError as error:
                self.switch("connect_failed", error)
        await self._ensure_connected(self.secondary)

    def start_utterance(self, utterance_id: str) -> FailoverUtterance:
        return FailoverUtterance(utterance_id, self)

    async def aclose(self) -> None:
        closing = [self.primary.tts.aclose()]
        if self.secondary.name in self._connected:
            closing.append(self.secondary.tts.aclose())
        results = await asyncio.gather(*closing, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result

    # -- for utterances -----------------------------------------------------------------------

    def switch(self, reason: str, error: ProviderError | None) -> bool:
        """Move the call to the secondary; False if it is on the secondary already."""
        if self.active is self.secondary:
            return False
        if error is not None:
            self.primary.breaker.record_failure(self.log.call_id)
        self.active = self.secondary
        self.failovers += 1
        self.log.event("tts failover", reason=reason, from_endpoint=self.primary.name,
                       to_endpoint=self.secondary.name, error=None if error is None else str(error))  # fmt: skip
        return True

    async def _ensure_connected(self, endpoint: TtsEndpoint) -> None:
        if endpoint.name not in self._connected:
            await endpoint.tts.connect()
            self._connected.add(endpoint.name)

    async def open_on_active(self, utterance_id: str) -> tuple[TtsEndpoint, TtsUtterance]:
        endpoint = self.active
        await self._ensure_connected(endpoint)
        return endpoint, endpoint.tts.start_utterance(utterance_id)

    def heard_from_primary(self) -> None:
        self.primary.breaker.record_success(self.log.call_id)

    def learn_rate(self, chars: int, audio_ms: float) -> None:
        """A completed utterance on the primary: how long a character takes in this voice."""
        if chars >= 20 and audio_ms > 0:
            self._ms_per_char = 0.7 * self._ms_per_char + 0.3 * (audio_ms / chars)

    @property
    def ms_per_char(self) -> float:
        return self._ms_per_char


class FailoverUtterance:
    """One turn's speech across a failover. Text goes to the active endpoint's utterance;
    ``pump_task`` forwards its audio and, when it fails, moves the turn to the secondary."""

    def __init__(self, utterance_id: str, owner: FailoverTextToSpeech) -> None:
        self.utterance_id = utterance_id
        self._owner = owner
        self._clauses: list[str] = []
        self._finished = False
        self._cancelled = False
        self._done = False
        self._lock = asyncio.Lock()
        self._endpoint: TtsEndpoint | None = None
        self._inner: TtsUtterance | None = None
        self._received_ms = 0.0
        self._out: asyncio.Queue[bytes | ProviderError | None] = asyncio.Queue()
        self._ready = asyncio.Event()  # set while an inner utterance is in place (or the turn is over)
        self._pump = asyncio.create_task(self._pump_task(), name=f"tts-failover-pump-task-{utterance_id}")

    async def push(self, text: str) -> None:
        async with self._lock:
            if self._cancelled or self._finished or self._done:
                return
            self._clauses.append(text)
            await self._apply(lambda inner: inner.push(text))

    async def finish(self) -> None:
        async with self._lock:
            if self._cancelled or self._finished or self._done:
                return
            self._finished = True
            await self._apply(lambda inner: inner.finish())

    async def cancel(self) -> None:
        if self._cancelled:
            return
        self._cancelled = True
        self._pump.cancel()
        if self._inner is not None:
            with contextlib.suppress(ProviderError):
                await self._inner.cancel()
        self._end(None)

    async def audio(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._out.get()
            if item is None:
                return
            if isinstance(item, ProviderError):
                raise item
            yield item

    # -- internals (``_apply`` and ``_move`` run with the lock held) -----------------------------

    async def _apply(self, action: Callable[[TtsUtterance], Awaitable[None]]) -> None:
        inner = self._inner
        try:
            if inner is None:
                inner = await self._open()
            await action(inner)
        except ProviderError as error:
            await self._move(inner, error)  # the replay includes this clause

    async def _open(self) -> TtsUtterance:
        self._endpoint, inner = await self._owner.open_on_active(self.utterance_id)
        self._inner = inner
        self._ready.set()
        return inner

    async def _move(self, failed: TtsUtterance | None, error: ProviderError) -> None:
        """Continue the turn on the secondary from the failed clause, or end it with ``error``."""
        if self._cancelled or self._done or failed is not self._inner:
            return  # over, or moved already
        owner = self._owner
        if self._endpoint is owner.secondary or (self._endpoint is None and owner.on_secondary):
            self._end(error)
            return
        self._ready.clear()
        self._inner = self._endpoint = None
        owner.switch("error", error)
        replay = clauses_to_replay(self._clauses, self._received_ms, owner.ms_per_char)
        self._received_ms = 0.0
        if failed is not None:
            with contextlib.suppress(ProviderError):
                await failed.cancel()
        try:
            inner = await self._open()
            for clause in replay:
                await inner.push(clause)
            if self._finished:
                await inner.finish()
        except ProviderError as second:
            self._end(second)
            return
        if self._cancelled:
            with contextlib.suppress(ProviderError):
                await inner.cancel()
            return
        owner.log.event("tts clauses resynthesized", response_id=self.utterance_id,
                        clauses=len(replay), of=len(self._clauses))  # fmt: skip

    def _end(self, final: ProviderError | None) -> None:
        if not self._done:
            self._done = True
            self._out.put_nowait(final)
        self._ready.set()

    async def _pump_task(self) -> None:
        heard = False
        while True:
            await self._ready.wait()
            inner, endpoint = self._inner, self._endpoint
            if self._done or inner is None:
                return
            try:
                async for audio in inner.audio():
                    if inner is not self._inner:
                        break  # replaced: the replay covers the rest
                    if not heard and endpoint is self._owner.primary:
                        heard = True
                        self._owner.heard_from_primary()
                    self._received_ms += len(audio) / BYTES_PER_MS
                    self._out.put_nowait(audio)
            except ProviderError as error:
                async with self._lock:
                    await self._move(inner, error)
                continue
            if inner is not self._inner:
                continue  # replaced (or being replaced) while it ended
            if endpoint is self._owner.primary:
                self._owner.learn_rate(sum(len(c) for c in self._clauses), self._received_ms)
            self._end(None)
            return
