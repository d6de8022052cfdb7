"""What the caller actually heard of a reply, from marks.

The core asks the runtime to put a mark on the outbound lane every
``mark_interval_ms`` of TTS audio; a mark's name carries the audio offset
(ms into the response) it follows. The carrier echoes a mark when the audio
before it has played, so the highest echoed offset is audio the caller
certainly heard. Between marks, playback runs in real time, so the position
is extrapolated from the last echo, never past the next mark not yet echoed.

The audio position is mapped to text with the TTS word timestamps when the
runtime supplies them; otherwise proportionally over the characters, cut
back to a whole word.
"""

from __future__ import annotations

from collections.abc import Sequence

from .events import TimedWord

CHARS_PER_SECOND = 15.0
"""Typical TTS speaking rate, used while the total audio length is not yet known."""

MARK_SEPARATOR = "@"


def mark_name(response_id: str, offset_ms: float) -> str:
    return f"{response_id}{MARK_SEPARATOR}{round(offset_ms)}"


def end_mark_name(response_id: str) -> str:
    return f"{response_id}{MARK_SEPARATOR}end"


def parse_mark(name: str) -> tuple[str, float | None] | None:
    """``(response_id, offset_ms)``; offset ``None`` for the end mark; ``None`` for a foreign name."""
    response_id, sep, tail = name.rpartition(MARK_SEPARATOR)
    if not sep or not response_id:
        return None
    if tail == "end":
        return response_id, None
    if not tail.isdigit():
        return None
    return response_id, float(tail)


def playback_position_ms(
    *,
    now_ms: float,
    echoed_ms: float,
    echoed_at_ms: float | None,
    first_sent_at_ms: float | None,
    sent_marks_ms: Sequence[float],
    audio_ms: float,
) -> float:
    """Best estimate of how far playback of a response has got at ``now_ms``.

    ``echoed_ms`` is the highest echoed mark offset (heard for certain);
    ``sent_marks_ms`` are offsets of marks put on the lane, echoed or not.
    """
    if first_sent_at_ms is None:
        return 0.0
    since = echoed_at_ms if echoed_at_ms is not None else first_sent_at_ms
    ceiling = min((m for m in sent_marks_ms if m > echoed_ms), default=audio_ms)
    return max(echoed_ms, min(echoed_ms + max(0.0, now_ms - since), ceiling))


def heard_text(
    text: str,
    *,
    heard_ms: float,
    audio_ms: float,
    tts_done: bool,
    words: Sequence[TimedWord] = (),
) -> str:
    """The prefix of ``text`` the caller heard after ``heard_ms`` of its audio."""
    text = text.strip()
    if heard_ms <= 0 or not text:
        return ""
    if words:
        return " ".join(w.text for w in words if w.end_ms <= heard_ms).strip()
    expected_ms = audio_ms if tts_done else max(audio_ms, len(text) / CHARS_PER_SECOND * 1000.0)
    if expected_ms <= 0:
        return ""
    if heard_ms >= expected_ms:
        return text
    chars = int(len(text) * heard_ms / expected_ms)
    return _whole_words(text, chars)


def _whole_words(text: str, chars: int) -> str:
    if chars >= len(text):
        return text
    if not text[chars].isspace():
        cut = text.rfind(" ", 0, chars + 1)
        chars = cut if cut >= 0 else 0
    return text[:chars].rstrip()
