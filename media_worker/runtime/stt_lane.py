"""The caller-audio lane: carrier media straight to the STT (mu-law 8 kHz, no resampling), and
STT events back as core facts.

``push()`` is called by the carrier reader for every media frame and never waits: frames go
on a bounded queue that ``stt_send_task`` drains, joining whatever piled up into one send. If
the STT is slower than real time for long, the oldest audio is dropped (and logged) rather than
letting the carrier reader stall behind it.

If the STT stream fails mid-call and a ``reconnect`` factory (or a failover plan, see
``runtime.failover``) is given, the lane opens a new stream (with the policy's backoff) and
replays the audio heard since the last final transcript (up to 60 s), so no caller words are
lost; while it reconnects, caller audio goes only to that replay buffer. Word times are shifted
so they stay in the call's stream time (seconds since the carrier ``start``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from media_worker.core import CallerSpeechStarted, Event, TranscriptUpdated, UtteranceEnded, Word
from media_worker.providers import SpeechStarted, SpeechToText, SttEvent, Transcript, UtteranceEnd
from switchboard.errors import ProviderError

from .logs import CallLogger

BYTES_PER_SECOND = 8000
MAX_REPLAY_BYTES = 60 * BYTES_PER_SECOND


@dataclass(frozen=True, slots=True)
class SttLaneLimits:
    max_queued_frames: int = 500  # 10 s of 20 ms frames
    max_join_bytes: int = 8000  # at most 1 s per send when catching up
    reconnect_attempts: int = 3
    reconnect_backoff_s: float = 0.2


class SttReconnects(Protocol):
    """Where the lane reconnects to (the runtime's failover policy): a plan of ``(delay_s, open)``
    attempts, and a report of how the current stream fares (connect ok or failed, stream dropped)."""

    def plan(self) -> Iterable[tuple[float, Callable[[], SpeechToText]]]: ...

    def report(self, ok: bool, error: ProviderError | None = None) -> None: ...


class SttLane:
    def __init__(
        self,
        stt: SpeechToText,
        *,
        deliver: Callable[[Event], None],
        clock_ms: Callable[[], float],
        log: CallLogger,
        reconnect: Callable[[], SpeechToText] | None = None,
        limits: SttLaneLimits = SttLaneLimits(),
        failover: SttReconnects | None = None,
        on_final: Callable[[float], None] | None = None,
    ) -> None:
        self._stt = stt
        self._deliver = deliver
        self._clock_ms = clock_ms
        self._log = log
        self._reconnect = reconnect
        self._limits = limits
        self._failover = failover
        self._on_final = on_final  # stream time up to which a final result covered the audio (PCI gate)
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._connected = asyncio.Event()
        self._offset_s = 0.0  # stream time of the current STT connection's zero
        self._sent_bytes = 0  # audio sent on the current connection
        self._replay = bytearray()  # audio since the last final transcript
        self._replay_start = 0  # absolute byte where _replay starts
        self._total_bytes = 0  # absolute bytes taken from the carrier
        self._replayed_until = 0  # absolute bytes covered by the last reconnect's replay
        self._broken = False
        self.dropped_frames = 0
        self.failed = False
        self.closed = False

    @property
    def stt_seconds(self) -> float:
        """Caller audio streamed to the STT (what Deepgram bills)."""
        return self._total_bytes / BYTES_PER_SECOND

    async def connect(self) -> None:
        """Open the STT stream (pre-warm); raises ProviderError."""
        try:
            await self._stt.connect()
        except ProviderError as error:
            self._broken = True  # the events task tries to reconnect
            self._report(False, error)
            raise
        self._report(True)
        self._connected.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._stt_send_task(), name="stt-send-task"),
            asyncio.create_task(self._stt_events_task(), name="stt-events-task"),
        ]

    def push(self, audio: bytes) -> None:
        if self.closed or not audio:
            return
        if self._queue.qsize() >= self._limits.max_queued_frames:
            self._queue.get_nowait()
            self.dropped_frames += 1
            if self.dropped_frames % 50 == 1:
                self._log.warning("stt lane behind; dropping oldest caller audio", dropped=self.dropped_frames)
        self._queue.put_nowait(audio)

    async def aclose(self) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(ProviderError, OSError, TimeoutError):
            await self._stt.aclose()

    # -- tasks --------------------------------------------------------------------------------

    async def _stt_send_task(self) -> None:
        while not self.closed:
            first = await self._queue.get()
            pieces = [first]
            size = len(first)
            while not self._queue.empty() and size < self._limits.max_join_bytes:
                piece = self._queue.get_nowait()
                pieces.append(piece)
                size += len(piece)
            audio = b"".join(pieces)
            self._remember(audio)
            if not self._connected.is_set() or self._total_bytes <= self._replayed_until:
                # Reconnecting: keep draining the queue into the replay buffer (which the next
                # stream gets in one piece) rather than letting the queue overflow and drop audio.
                continue
            try:
                await self._stt.send_audio(audio)
                self._sent_bytes += len(audio)
            except ProviderError:
                self._connected.clear()  # the events task notices the failure and reconnects

    async def _stt_events_task(self) -> None:
        while not self.closed:
            if self._broken and not await self._reopen():
                self.failed = True
                self._log.error("stt unavailable; the call continues without speech recognition")
                return
            await self._connected.wait()
            try:
                async for event in self._stt.events():
                    fact = self._fact(event)
                    if fact is not None:
                        self._deliver(fact)
            except ProviderError as error:
                self._log.warning("stt stream failed", provider=error.provider, retryable=error.retryable)
                if not self.closed:
                    self._report(False, error)
            if self.closed:
                return
            self._connected.clear()
            self._broken = True

    def _plan(self) -> Iterable[tuple[float, Callable[[], SpeechToText]]]:
        if self._failover is not None:
            return self._failover.plan()
        if self._reconnect is None:
            return ()
        backoff = self._limits.reconnect_backoff_s
        return ((backoff * (n - 1), self._reconnect) for n in range(1, self._limits.reconnect_attempts + 1))

    def _report(self, ok: bool, error: ProviderError | None = None) -> None:
        if self._failover is not None:
            self._failover.report(ok, error)

    async def _reopen(self) -> bool:
        for attempt, (delay_s, open_stream) in enumerate(self._plan(), start=1):
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            with contextlib.suppress(ProviderError, OSError, TimeoutError):
                await self._stt.aclose()
            self._stt = open_stream()
            try:
                await self._stt.connect()
                replay = bytes(self._replay)
                self._replayed_until = self._total_bytes
                if replay:
                    await self._stt.send_audio(replay)
            except ProviderError as error:
                self._report(False, error)
                continue
            self._report(True)
            self._offset_s = self._replay_start / BYTES_PER_SECOND
            self._sent_bytes = len(replay)
            self._log.info("stt reconnected", attempt=attempt, replayed_ms=len(replay) // 8)
            self._broken = False
            self._connected.set()
            return True
        return False

    def _remember(self, audio: bytes) -> None:
        self._total_bytes += len(audio)
        self._replay += audio
        excess = len(self._replay) - MAX_REPLAY_BYTES
        if excess > 0:
            del self._replay[:excess]
            self._replay_start += excess

    def _forget_until(self, stream_s: float) -> None:
        """A final transcript covers audio up to ``stream_s``: it never needs replaying."""
        absolute = int(stream_s * BYTES_PER_SECOND)
        cut = min(max(0, absolute - self._replay_start), len(self._replay))
        del self._replay[:cut]
        self._replay_start += cut

    def _fact(self, event: SttEvent) -> Event | None:
        now = self._clock_ms()
        offset = self._offset_s
        if isinstance(event, Transcript):
            if event.is_final:
                self._forget_until(offset + event.start_s + event.duration_s)
                if self._on_final is not None:
                    self._on_final(offset + event.start_s + event.duration_s)
            words = tuple(Word(w.punctuated or w.text, w.start_s + offset, w.end_s + offset) for w in event.words)
            return TranscriptUpdated(
                now_ms=now, text=event.text, is_final=event.is_final, speech_final=event.speech_final, words=words
            )
        if isinstance(event, SpeechStarted):
            return CallerSpeechStarted(now_ms=now)
        if isinstance(event, UtteranceEnd):
            return UtteranceEnded(now_ms=now)
        return None
