"""The outbound audio lane: TTS audio and marks to the carrier, as paced 20 ms frames.

It is the call's only flushable queue. What it guarantees:

- Frames go out in enqueue order, at most ``lead_ms`` (default 200 ms) ahead of the carrier's
  playback position (``core.pacing.PacingClock``), so a ``clear`` has little to throw away.
- A mark goes out right after the last byte of audio enqueued before it, never earlier or
  later: its position is a byte offset in the audio stream. (A mark enqueued with no audio
  ahead of it goes out at once.)
- Audio that does not fill a whole frame waits for more; when the carrier is about to run
  dry it is padded with mu-law silence, so a mark behind it is never stuck.
- ``flush()`` drops every frame and mark enqueued so far and sends ``clear``. Dropped marks
  are never sent (the core ignores marks of the speeches it cut, and carriers echo the marks
  they already held when they get ``clear``). Everything enqueued after the flush plays
  normally, with a fresh pacing timeline.
- ``on_first_frame(response_id)`` is called when the first frame of each response is sent
  (the core's ``AudioFramesSent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from media_worker.core import FRAME_BYTES, FRAME_MS, PacingClock

log = logging.getLogger(__name__)

MULAW_SILENCE = b"\xff"


class CarrierClosed(Exception):
    """The carrier socket is gone; nothing more can be sent."""


class CarrierSink(Protocol):
    """Where the lane's output goes: the carrier WebSocket, serialised by its codec."""

    async def send_media(self, frame: bytes) -> None: ...

    async def send_mark(self, name: str) -> None: ...

    async def send_clear(self) -> None: ...


class OutboundLane:
    def __init__(
        self,
        sink: CarrierSink,
        *,
        clock_ms: Callable[[], float],
        on_first_frame: Callable[[str], None] = lambda response_id: None,
        lead_ms: float = 200.0,
        batch_frames: int = 2,
    ) -> None:
        self._sink = sink
        self._clock_ms = clock_ms
        self._on_first_frame = on_first_frame
        self._pacing = PacingClock(lead_ms=lead_ms)
        self._batch_frames = max(1, batch_frames)
        self._buffer = bytearray()
        self._enqueued = 0  # bytes ever enqueued (stream offsets)
        self._sent = 0  # bytes ever sent or dropped
        self._marks: deque[tuple[int, str]] = deque()
        self._owners: deque[tuple[int, str]] = deque()  # (end offset, response id) of enqueued audio
        self._reported: str | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.frames_sent = 0
        self.marks_sent = 0
        self.clears_sent = 0
        self.closed = False

    @property
    def lead_ms(self) -> float:
        return self._pacing.lead_ms

    @property
    def queued_ms(self) -> float:
        """Audio enqueued but not sent yet."""
        return len(self._buffer) / 8.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._send_task(), name="outbound-send-task")

    def enqueue_audio(self, response_id: str, audio: bytes) -> None:
        if not audio or self.closed:
            return
        self._buffer += audio
        self._enqueued += len(audio)
        if self._owners and self._owners[-1][1] == response_id:
            self._owners[-1] = (self._enqueued, response_id)
        else:
            self._owners.append((self._enqueued, response_id))
        self._wake.set()

    def enqueue_mark(self, name: str) -> None:
        if self.closed:
            return
        self._marks.append((self._enqueued, name))
        self._wake.set()

    async def flush(self) -> int:
        """Drop everything queued and tell the carrier to ``clear``; return the frames dropped."""
        dropped = len(self._buffer) // FRAME_BYTES + (1 if len(self._buffer) % FRAME_BYTES else 0)
        self._buffer.clear()
        self._sent = self._enqueued
        self._marks.clear()
        self._owners.clear()
        self._reported = None
        self._pacing = self._pacing.reset()
        self._wake.set()
        if not self.closed:
            try:
                await self._sink.send_clear()
                self.clears_sent += 1
            except CarrierClosed:
                self.closed = True
        return dropped

    async def aclose(self) -> None:
        self.closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- the sender ---------------------------------------------------------------------------

    async def _send_task(self) -> None:
        try:
            while not self.closed:
                await self._send_due_marks()
                delay = self._next_action_delay_ms()
                if delay is None:
                    self._wake.clear()
                    await self._wake.wait()
                elif delay > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay / 1000.0):
                            await self._wake.wait()
                else:
                    await self._send_frames()
        except CarrierClosed:
            self.closed = True
            log.info("outbound lane stopped: carrier closed")

    def _next_action_delay_ms(self) -> float | None:
        """0: send now; a delay: wait that long (or for new input); None: nothing to do."""
        if not self._buffer:
            return None
        now = self._clock_ms()
        if len(self._buffer) >= FRAME_BYTES:
            if self._pacing.frames_allowed(now) >= min(self._batch_frames, len(self._buffer) // FRAME_BYTES):
                return 0.0
            batch_wait = (self._batch_frames - 1) * FRAME_MS
            return max(1.0, self._pacing.next_send_delay_ms(now) + batch_wait)
        # only a partial frame: wait for more audio until the carrier is about to run dry
        buffered = self._pacing.buffered_ms(now)
        return 0.0 if buffered <= FRAME_MS else buffered - FRAME_MS

    async def _send_frames(self) -> None:
        now = self._clock_ms()
        allowed = max(1, self._pacing.frames_allowed(now))
        for _ in range(allowed):
            if not self._buffer or self.closed:
                return
            audio = bytes(self._buffer[:FRAME_BYTES])
            del self._buffer[:FRAME_BYTES]
            owner = self._owner_of(self._sent)
            self._sent += len(audio)
            frame = audio + MULAW_SILENCE * (FRAME_BYTES - len(audio))
            self._pacing = self._pacing.after_send(now, 1)
            await self._sink.send_media(frame)
            self.frames_sent += 1
            if owner is not None and owner != self._reported:
                self._reported = owner
                self._on_first_frame(owner)
            await self._send_due_marks()
            if len(self._buffer) < FRAME_BYTES:
                return  # a partial frame waits for more audio (see _next_action_delay_ms)

    async def _send_due_marks(self) -> None:
        while self._marks and self._marks[0][0] <= self._sent and not self.closed:
            _, name = self._marks.popleft()
            await self._sink.send_mark(name)
            self.marks_sent += 1

    def _owner_of(self, offset: int) -> str | None:
        while self._owners and self._owners[0][0] <= offset:
            self._owners.popleft()
        return self._owners[0][1] if self._owners else None
