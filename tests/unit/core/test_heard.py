"""Heard text from marks: playback position and its mapping to text."""

from __future__ import annotations

from media_worker.core import TimedWord
from media_worker.core.heard import end_mark_name, heard_text, mark_name, parse_mark, playback_position_ms


def test_mark_names_round_trip() -> None:
    assert parse_mark(mark_name("r7", 1234.4)) == ("r7", 1234.0)
    assert parse_mark(end_mark_name("r7")) == ("r7", None)
    assert parse_mark("someone-elses-mark") is None
    assert parse_mark("r7@soon") is None


def test_position_extrapolates_from_the_last_echo_but_not_past_the_next_mark() -> None:
    # given the 400 ms mark echoed at t=1000 and a 600 ms mark still pending
    args = {"echoed_ms": 400.0, "echoed_at_ms": 1000.0, "first_sent_at_ms": 500.0, "sent_marks_ms": (400.0, 600.0)}
    assert playback_position_ms(now_ms=1100.0, audio_ms=900.0, **args) == 500.0
    # then it never runs past the unconfirmed mark
    assert playback_position_ms(now_ms=5000.0, audio_ms=900.0, **args) == 600.0


def test_position_is_zero_before_any_audio_was_sent() -> None:
    pos = playback_position_ms(
        now_ms=9999.0, echoed_ms=0.0, echoed_at_ms=None, first_sent_at_ms=None, sent_marks_ms=(), audio_ms=3000.0
    )
    assert pos == 0.0


def test_heard_text_is_proportional_and_cut_to_whole_words() -> None:
    text = "Our hours are nine to five on weekdays."
    heard = heard_text(text, heard_ms=1000.0, audio_ms=2000.0, tts_done=True)
    assert text.startswith(heard)
    assert heard == "Our hours are nine"


def test_word_timestamps_give_exact_heard_text() -> None:
    words = (TimedWord("Our", 200), TimedWord("hours", 500), TimedWord("are", 700), TimedWord("nine", 1100))
    assert heard_text("Our hours are nine.", heard_ms=800.0, audio_ms=1200.0, tts_done=True, words=words) == (
        "Our hours are"
    )


def test_nothing_played_means_nothing_heard() -> None:
    assert heard_text("Hello there.", heard_ms=0.0, audio_ms=1000.0, tts_done=True) == ""


def test_all_played_means_all_heard() -> None:
    assert heard_text("Hello there.", heard_ms=1000.0, audio_ms=1000.0, tts_done=True) == "Hello there."
