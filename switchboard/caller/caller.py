"""A simulated phone caller: connects to a media worker exactly as Twilio or Telnyx would.

It sends ``connected`` and ``start`` (with custom parameters, e.g. the stream token), then a
continuous 20 ms ``media`` frame every 20 ms from a microphone task, paced by the clock: queued
speech if there is any, mu-law silence otherwise, as a real phone line does. It plays what the
worker sends through a :class:`PlaybackBuffer` (real-time playback), echoes each ``mark`` once
the audio before it has played, and honours ``clear``. Everything received is recorded with
timestamps. Used by the integration tests, ``python -m switchboard.caller``, the benchmarks and
the demo.

    async with SimulatedCaller(url, token=token) as caller:
        await caller.wait_for_reply_audio()          # the greeting
        await caller.speak(speech_mulaw)
        await caller.silence(800)
        await caller.wait_for_reply_audio()
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .playback import PlaybackBuffer
from .wire import Carrier, Encoder, StreamInfo, decode_outbound

FRAME_BYTES = 160
FRAME_MS = 20.0
SILENCE = b"\xff" * FRAME_BYTES
VOICED_RMS = 200.0


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = ((((codes & 0x0F) << 3) + 0x84) << exponent) - 0x84
    return np.where(codes & 0x80, -magnitude, magnitude).astype(np.float64)


_ULAW = _decode_table()


def frame_rms(frame: bytes) -> float:
    samples = _ULAW[np.frombuffer(frame, dtype=np.uint8)]
    return float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0


def now_ms() -> float:
    return time.monotonic() * 1000.0


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    at_ms: float
    audio: bytes
    voiced: bool


@dataclass
class CallerRecord:
    """What the caller saw: frames, marks, clears, and how the socket closed."""

    frames: list[ReceivedFrame] = field(default_factory=list)
    marks_received: list[str] = field(default_factory=list)
    marks_echoed: list[str] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""


class SimulatedCaller:
    def __init__(
        self,
        url: str,
        *,
        carrier: Carrier = "twilio",
        token: str | None = None,
        custom_parameters: Mapping[str, str] | None = None,
        call_id: str | None = None,
        from_number: str | None = "+14155550100",
        to_number: str | None = "+14155550199",
        frames_per_tick: int = 2,
        swap_media_pairs: bool = False,
    ) -> None:
        parameters = dict(custom_parameters or {})
        if token is not None:
            parameters["token"] = token
        self.url = url
        self.info = StreamInfo(
            carrier=carrier,
            stream_id=("MZ" if carrier == "twilio" else "st-") + uuid.uuid4().hex,
            call_id=call_id or (("CA" if carrier == "twilio" else "v3:") + uuid.uuid4().hex),
            custom_parameters=parameters,
            from_number=from_number,
            to_number=to_number,
        )
        self.record = CallerRecord()
        self.playback = PlaybackBuffer()
        self._encoder = Encoder(self.info)
        self._frames_per_tick = max(1, frames_per_tick)
        self._swap_pairs = swap_media_pairs
        self._mic: deque[bytes] = deque()
        self._mic_drained = asyncio.Event()
        self._mic_drained.set()
        self._received = asyncio.Event()
        self._mark_wake = asyncio.Event()
        self._socket: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started_ms = 0.0
        self.closed = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.hang_up()

    async def connect(self) -> None:
        self._socket = await connect(self.url, compression=None, max_size=None)
        await self._socket.send(self._encoder.connected())
        await self._socket.send(self._encoder.start())
        self._started_ms = now_ms()
        self._tasks = [
            asyncio.create_task(self._mic_task(), name="caller-mic-task"),
            asyncio.create_task(self._receive_task(), name="caller-receive-task"),
            asyncio.create_task(self._mark_task(), name="caller-mark-task"),
        ]

    async def hang_up(self) -> None:
        """Send ``stop`` and close the socket (as the carrier does when the caller hangs up)."""
        if self._socket is not None and not self.closed.is_set():
            with contextlib.suppress(ConnectionClosed):
                await self._socket.send(self._encoder.stop())
            await self._socket.close()
        await self._stop_tasks()

    async def drop(self) -> None:
        """Cut the connection with no ``stop`` and no close handshake (a network failure)."""
        if self._socket is not None:
            self._socket.transport.abort()
        await self._stop_tasks()

    async def wait_closed(self, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            await self.closed.wait()
        await self._stop_tasks()

    # -- talking ------------------------------------------------------------------------------

    async def speak(self, mulaw: bytes) -> None:
        """Queue audio on the microphone and wait until it has all been sent (in real time)."""
        for start in range(0, len(mulaw), FRAME_BYTES):
            frame = mulaw[start : start + FRAME_BYTES]
            self._mic.append(frame + b"\xff" * (FRAME_BYTES - len(frame)))
        self._mic_drained.clear()
        await self._mic_drained.wait()

    async def silence(self, ms: float) -> None:
        await self.speak(SILENCE * max(1, round(ms / FRAME_MS)))

    async def press(self, digits: str) -> None:
        for digit in digits:
            await self.send_raw(self._encoder.dtmf(digit))

    async def send_raw(self, text: str | bytes) -> None:
        """Send any frame as is (malformed-input tests)."""
        assert self._socket is not None
        await self._socket.send(text)

    # -- listening ----------------------------------------------------------------------------

    @property
    def elapsed_ms(self) -> float:
        return now_ms() - self._started_ms

    @property
    def clears(self) -> list[float]:
        return self.record.clears

    @property
    def heard_audio(self) -> bytes:
        """The audio that actually played (``clear`` removes what had not)."""
        return self.playback.played(now_ms())

    def voiced_ms(self, since_ms: float | None = None) -> float:
        """Milliseconds of non-silent audio received (since a ``now_ms()`` value)."""
        frames = self.record.frames if since_ms is None else [f for f in self.record.frames if f.at_ms >= since_ms]
        return sum(len(f.audio) / 8 for f in frames if f.voiced)

    async def wait_for_reply_audio(
        self, *, since_ms: float | None = None, min_ms: float = 100.0, timeout_s: float = 10.0
    ) -> float:
        """Wait until ``min_ms`` of non-silent audio arrived (after ``since_ms``); return when it started."""
        async with asyncio.timeout(timeout_s):
            while self.voiced_ms(since_ms) < min_ms:
                await self._wait_received()
        voiced = [f for f in self.record.frames if f.voiced and (since_ms is None or f.at_ms >= since_ms)]
        return voiced[0].at_ms

    async def wait_for_clear(self, *, timeout_s: float = 10.0) -> float:
        async with asyncio.timeout(timeout_s):
            while not self.record.clears:
                await self._wait_received()
        return self.record.clears[0]

    async def wait_for_mark(self, suffix: str = "@end", *, count: int = 1, timeout_s: float = 10.0) -> None:
        """Wait until ``count`` marks ending in ``suffix`` were echoed (played to the end)."""
        async with asyncio.timeout(timeout_s):
            while sum(1 for m in self.record.marks_echoed if m.endswith(suffix)) < count:
                await self._wait_received()

    async def wait_for_quiet(self, quiet_ms: float = 300.0, *, timeout_s: float = 10.0) -> None:
        """Wait until nothing is left to play and no audio arrived for ``quiet_ms``."""
        async with asyncio.timeout(timeout_s):
            while True:
                last = self.record.frames[-1].at_ms if self.record.frames else 0.0
                idle_for = now_ms() - max(last, self.playback.end_ms)
                if idle_for >= quiet_ms:
                    return
                await asyncio.sleep((quiet_ms - idle_for) / 1000.0)

    async def _wait_received(self) -> None:
        if self.closed.is_set():
            raise ConnectionError(f"the worker closed the stream ({self.record.close_code})")
        self._received.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await self._received.wait()

    # -- tasks --------------------------------------------------------------------------------

    async def _mic_task(self) -> None:
        assert self._socket is not None
        sent = 0
        started = now_ms()
        pending_swap: str | None = None
        try:
            while True:
                due = int((now_ms() - started) / FRAME_MS) + 1
                # catch up after a stall in small bursts, yielding between them, never in one long step
                for _ in range(min(max(0, due - sent), 2 * self._frames_per_tick)):
                    frame = self._mic.popleft() if self._mic else SILENCE
                    message = self._encoder.media(frame, int(sent * FRAME_MS))
                    sent += 1
                    if self._swap_pairs and pending_swap is None:
                        pending_swap = message
                        continue
                    await self._socket.send(message)
                    if pending_swap is not None:
                        await self._socket.send(pending_swap)
                        pending_swap = None
                if not self._mic:
                    self._mic_drained.set()
                if due - sent > 0:
                    await asyncio.sleep(0)
                    continue
                next_at = started + (sent + self._frames_per_tick - 1) * FRAME_MS
                await asyncio.sleep(max(0.0, next_at - now_ms()) / 1000.0)
        except ConnectionClosed:
            self._mic_drained.set()

    async def _receive_task(self) -> None:
        assert self._socket is not None
        try:
            async for message in self._socket:
                self._on_message(message)
        except ConnectionClosed:
            pass
        finally:
            self.record.close_code = self._socket.close_code
            self.record.close_reason = self._socket.close_reason or ""
            self.closed.set()
            self._received.set()
            self._mic_drained.set()

    def _on_message(self, message: str | bytes) -> None:
        outbound = decode_outbound(message)
        if outbound is None:
            return
        at = now_ms()
        if outbound.event == "media":
            self.playback.add_audio(at, outbound.audio)
            self.record.frames.append(ReceivedFrame(at, outbound.audio, frame_rms(outbound.audio) > VOICED_RMS))
        elif outbound.event == "mark":
            self.record.marks_received.append(outbound.name)
            self.playback.add_mark(at, outbound.name)
            self._mark_wake.set()
        elif outbound.event == "clear":
            self.record.clears.append(at)
            self._echo(self.playback.clear(at))
        self._received.set()

    async def _mark_task(self) -> None:
        while True:
            due_at = self.playback.next_mark_at()
            self._mark_wake.clear()
            if due_at is None:
                await self._mark_wake.wait()
                continue
            delay = (due_at - now_ms()) / 1000.0
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._mark_wake.wait()
                continue
            self._echo(self.playback.due_marks(now_ms()))

    def _echo(self, names: list[str]) -> None:
        if not names or self._socket is None:
            return
        self.record.marks_echoed.extend(names)
        task = asyncio.create_task(self._send_marks(names))
        self._tasks.append(task)
        task.add_done_callback(self._forget_task)
        self._received.set()

    async def _send_marks(self, names: list[str]) -> None:
        # Numbered as they are sent, like every other message: a carrier's sequence numbers arrive in order.
        for name in names:
            if self._socket is None:
                return
            with contextlib.suppress(ConnectionClosed):
                await self._socket.send(self._encoder.mark(name))

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
