"""End-of-turn policy: hold on unfinished numbers, spelling, emails and commas; not on finished sentences."""

from __future__ import annotations

import pytest

from media_worker.core import HoldReason, TurnPolicy, end_of_turn_delay_ms, hold_reason

POLICY = TurnPolicy(silence_fallback_ms=900, hold_incomplete_ms=1200)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("my number is 4 1 5,", HoldReason.TRAILING_COMMA),
        ("I'd like to book a table,", HoldReason.TRAILING_COMMA),
        ("well I was thinking and", HoldReason.CONTINUATION_WORD),
        ("so um", HoldReason.CONTINUATION_WORD),
        ("my number is 4 1 5", HoldReason.DIGITS),
        ("my number is 415 555", HoldReason.DIGITS),
        ("it's four one five", HoldReason.DIGITS),
        ("the code is 4 4.", HoldReason.DIGITS),
        ("call me at 415-555", HoldReason.DIGITS),
        ("my zip is 9", HoldReason.DIGITS),
        ("my name is j a n e", HoldReason.SPELLING),
        ("that's J-A-N-E.", HoldReason.SPELLING),
        ("my email is jane at", HoldReason.EMAIL),
        ("jane at example dot", HoldReason.EMAIL),
        ("it's jane@example", HoldReason.EMAIL),
    ],
)
def test_unfinished_sequences_hold_the_turn(text: str, reason: HoldReason) -> None:
    assert hold_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "I need to book a table for two.",
        "What time do you open?",
        "Thanks!",
        "yes",
        "I'm 25.",
        "I'd like the blue one.",
        "my number is 415 555 1234.",
        "it's jane@example.com",
        "I'll be there at 5.",
        "",
    ],
)
def test_finished_utterances_do_not_hold(text: str) -> None:
    assert hold_reason(text) is None


def test_stt_endpoint_on_a_finished_sentence_ends_the_turn_at_once() -> None:
    # a finished sentence must not wait (the "3 s on a finished sentence" failure)
    assert end_of_turn_delay_ms("Can I book for Friday?", POLICY, stt_endpoint=True) == 0.0


def test_stt_endpoint_mid_number_holds_for_the_hold_time() -> None:
    assert end_of_turn_delay_ms("my number is 4 1 5,", POLICY, stt_endpoint=True) == 1200.0


def test_silence_fallback_adds_the_hold_when_unfinished() -> None:
    assert end_of_turn_delay_ms("hello there", POLICY, stt_endpoint=False) == 900.0
    assert end_of_turn_delay_ms("my number is 4 1 5", POLICY, stt_endpoint=False) == 2100.0
