"""Outbound pacing arithmetic: send 20 ms frames close to real time with a small lead.

The carrier plays frames in real time. Sending them faster only fills the
carrier's buffer, and a ``clear`` then has more to throw away while the
caller keeps hearing it. :class:`PacingClock` tracks a playback timeline:
``start_ms`` is when frame 0 would start playing; frame ``n`` plays at
``start_ms + n * frame_ms``. At most ``lead_ms`` of audio may be sent ahead
of the playback position. When the lane ran dry (an underrun), the
timeline restarts at the next send, so a pause is never "caught up" with a
burst.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

FRAME_MS = 20.0
"""One frame: 20 ms of 8 kHz mu-law, 160 bytes."""
FRAME_BYTES = 160
DEFAULT_LEAD_MS = 200.0


@dataclass(frozen=True, slots=True)
class PacingClock:
    """A value; advance it with :meth:`after_send`, reset it with :meth:`reset` (on ``clear``)."""

    lead_ms: float = DEFAULT_LEAD_MS
    frame_ms: float = FRAME_MS
    start_ms: float | None = None
    frames_sent: int = 0

    def _timeline(self, now_ms: float) -> tuple[float, int]:
        """The timeline to use at ``now_ms``, restarted if playback has caught up with what was sent."""
        if self.start_ms is None or self.start_ms + self.frames_sent * self.frame_ms <= now_ms:
            return now_ms, 0
        return self.start_ms, self.frames_sent

    def frames_allowed(self, now_ms: float) -> int:
        """How many frames may be sent at ``now_ms`` without exceeding the lead."""
        start, sent = self._timeline(now_ms)
        budget = math.floor((now_ms - start + self.lead_ms) / self.frame_ms + 1e-9)
        return max(0, budget - sent)

    def after_send(self, now_ms: float, frames: int) -> PacingClock:
        """The clock after sending ``frames`` frames at ``now_ms``."""
        if frames < 0:
            raise ValueError("frames must not be negative")
        start, sent = self._timeline(now_ms)
        return replace(self, start_ms=start, frames_sent=sent + frames)

    def next_send_delay_ms(self, now_ms: float) -> float:
        """How long to wait before one more frame may be sent (0 if one may go now)."""
        if self.frames_allowed(now_ms) > 0:
            return 0.0
        start, sent = self._timeline(now_ms)
        due = start + (sent + 1) * self.frame_ms - self.lead_ms
        return max(0.0, due - now_ms)

    def buffered_ms(self, now_ms: float) -> float:
        """Audio sent but not yet played, by the timeline."""
        if self.start_ms is None:
            return 0.0
        return max(0.0, self.start_ms + self.frames_sent * self.frame_ms - now_ms)

    def reset(self) -> PacingClock:
        """Forget the timeline (after ``clear``: the carrier dropped what it held)."""
        return replace(self, start_ms=None, frames_sent=0)


def split_frames(audio: bytes, frame_bytes: int = FRAME_BYTES) -> tuple[tuple[bytes, ...], bytes]:
    """Cut audio into whole frames; return ``(frames, remainder)`` so a partial frame waits for more audio."""
    whole = len(audio) - len(audio) % frame_bytes
    frames = tuple(audio[i : i + frame_bytes] for i in range(0, whole, frame_bytes))
    return frames, audio[whole:]


def duration_ms(byte_count: int, *, bytes_per_ms: float = 8.0) -> float:
    """Playback length of mu-law/A-law 8 kHz audio (8 bytes per ms)."""
    return byte_count / bytes_per_ms
