"""The carrier's playback buffer, as Twilio runs it: audio plays in real time in arrival order; a
mark is echoed once everything sent before it has played; ``clear`` drops what has not played
yet and echoes every pending mark at once. A value-free clock: every method takes ``now_ms``."""

from __future__ import annotations

from dataclasses import dataclass, field

FRAME_MS = 20.0
BYTES_PER_MS = 8


@dataclass(frozen=True, slots=True)
class PlayedFrame:
    start_ms: float
    audio: bytes


@dataclass
class PlaybackBuffer:
    frames: list[PlayedFrame] = field(default_factory=list)
    pending_marks: list[tuple[float, str]] = field(default_factory=list)
    end_ms: float = 0.0

    def add_audio(self, now_ms: float, audio: bytes) -> None:
        start = max(now_ms, self.end_ms)
        self.frames.append(PlayedFrame(start, audio))
        self.end_ms = start + len(audio) / BYTES_PER_MS

    def add_mark(self, now_ms: float, name: str) -> None:
        self.pending_marks.append((max(now_ms, self.end_ms), name))

    def due_marks(self, now_ms: float) -> list[str]:
        """Marks whose audio has played by ``now_ms``, in order; they leave the buffer."""
        due = [name for at, name in self.pending_marks if at <= now_ms]
        self.pending_marks = [(at, name) for at, name in self.pending_marks if at > now_ms]
        return due

    def next_mark_at(self) -> float | None:
        return self.pending_marks[0][0] if self.pending_marks else None

    def clear(self, now_ms: float) -> list[str]:
        """Drop unplayed audio; return every pending mark (echoed at once, as Twilio does)."""
        self.frames = [f for f in self.frames if f.start_ms < now_ms]
        self.end_ms = min(self.end_ms, now_ms)
        echoed = [name for _, name in self.pending_marks]
        self.pending_marks = []
        return echoed

    def played(self, now_ms: float) -> bytes:
        """The audio that has started playing by ``now_ms`` (what the caller heard)."""
        return b"".join(f.audio for f in self.frames if f.start_ms < now_ms)
