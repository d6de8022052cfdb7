"""Property tests of redaction (hypothesis): idempotent, cards never survive, clean text untouched."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.redaction import MASK, PLACEHOLDERS, luhn_valid, redact

REDACTING_MODES = st.sampled_from(["mask", "placeholder"])
ALL_MODES = st.sampled_from(["off", "mask", "placeholder"])

# Text with no PII: letters, spaces and punctuation, no digits and no "@".
CLEAN_ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Nd", "Cs"), exclude_characters="@"
)
clean_text = st.text(CLEAN_ALPHABET, max_size=60)
filler = st.text(st.sampled_from(list("abcdefghij klmnopqrstuvwxyz ,.;:!?-'\"()")), max_size=20)


@st.composite
def luhn_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = draw(st.text(st.sampled_from("0123456789"), min_size=length - 1, max_size=length - 1))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("a check digit always exists")


@st.composite
def written_cards(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written): plain, or in groups of 4 (or 4-6-5) with spaces or dashes."""
    digits = draw(luhn_numbers())
    separator = draw(st.sampled_from(["", " ", "-"]))
    if len(digits) == 15 and draw(st.booleans()):
        groups = [digits[:4], digits[4:10], digits[10:]]
    else:
        groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    return digits, separator.join(groups)


PII_PIECES = st.sampled_from([
    "jane@example.com", "+1 415 555 0123", "(415) 555-0123", "4111 1111 1111 1111", "123-45-6789",
    "born on 03/11/1980", "221 Baker Street", "four one five five five five zero one two three",
    "jane at example dot com", "555-0123", "2024-11-03", "1234567", "double five", "SSN 123456789",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PII_PIECES, filler, clean_text, st.text(max_size=12)), max_size=8), REDACTING_MODES)
def test_redaction_is_idempotent(pieces: list[str], mode: str) -> None:
    once = redact(" ".join(pieces), mode)  # type: ignore[arg-type]
    assert redact(once, mode) == once  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(written_cards(), filler, filler, REDACTING_MODES)
def test_no_luhn_valid_card_survives_any_redacting_mode(card: tuple[str, str], before: str, after: str,
                                                        mode: str) -> None:
    digits, written = card
    out = redact(f"{before} {written} {after}", mode)  # type: ignore[arg-type]
    assert written not in out
    assert digits not in re.sub(r"[^0-9]", "", out)


@given(written_cards(), filler)
def test_off_mode_keeps_cards(card: tuple[str, str], before: str) -> None:
    text = f"{before} {card[1]}"
    assert redact(text, "off") == text


@settings(max_examples=300, deadline=None)
@given(clean_text, ALL_MODES)
def test_text_without_pii_is_unchanged(text: str, mode: str) -> None:
    assert redact(text, mode) == text  # type: ignore[arg-type]


REDACTED_PIECES = [
    "jane@example.com", "+1 415 555 0123", "(415) 555-0123", "4111 1111 1111 1111", "123-45-6789",
    "03/11/1980 (born on)", "221 Baker Street", "four one five five five five zero one two three",
    "jane at example dot com", "555-0123", "SSN 123456789",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(REDACTED_PIECES), min_size=1, max_size=6), REDACTING_MODES)
def test_replacements_never_contain_the_original(pieces: list[str], mode: str) -> None:
    text = " | ".join(p.replace("03/11/1980 (born on)", "born on 03/11/1980") for p in pieces)
    out = redact(text, mode)  # type: ignore[arg-type]
    # every PII value is gone, and what stands in its place is only a mask or a typed placeholder
    for value in ("jane@example.com", "415 555 0123", "555-0123", "4111 1111", "123-45-6789", "03/11/1980",
                  "221 Baker", "four one five", "example dot com", "123456789"):
        assert value not in out
    inserted = [t for t in re.split(r"\s*\|\s*", out)]
    allowed = {MASK} if mode == "mask" else set(PLACEHOLDERS.values())
    for token in inserted:
        words = [w for w in token.split() if w not in ("born", "on", "SSN")]
        assert words and set(words) <= allowed


@settings(max_examples=300, deadline=None)
@given(st.emails(), filler, filler, REDACTING_MODES)
def test_every_generated_email_is_caught(email: str, before: str, after: str, mode: str) -> None:
    out = redact(f"{before} {email} {after}", mode)  # type: ignore[arg-type]
    assert email not in out
    if mode == "mask":
        assert MASK in out
    else:
        assert "[EMAIL]" in out
