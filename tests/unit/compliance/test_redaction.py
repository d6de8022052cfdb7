"""PII redaction: each kind in each mode, what must be kept, turns and nested values."""

from __future__ import annotations

import pytest

from switchboard.analysis import render_transcript
from switchboard.models import Compliance, Turn
from switchboard.redaction import (
    MASK,
    analysis_mode,
    find_pii,
    luhn_valid,
    redact,
    redact_turns,
    redact_value,
    redactor,
    transcript_mode,
)

CASES = [
    # (text, the PII inside it, kind)
    ("write to jane.doe+calls@example.co.uk today", "jane.doe+calls@example.co.uk", "EMAIL"),
    ("it's jane dot doe at example dot com", "doe at example dot com", "EMAIL"),
    ("call me on +1 415 555 0123 please", "+1 415 555 0123", "PHONE"),
    ("my number is +14155550123.", "+14155550123", "PHONE"),
    ("the office is (415) 555-0123", "(415) 555-0123", "PHONE"),
    ("try 415.555.0123 after six", "415.555.0123", "PHONE"),
    ("UK mobile 07911 123456", "07911 123456", "PHONE"),
    ("London +44 20 7946 0958", "+44 20 7946 0958", "PHONE"),
    ("extension 555-0123", "555-0123", "PHONE"),
    ("it is four one five, five five five, zero one two three", "four one five, five five five, zero one two three",
     "PHONE"),
    ("oh seven nine one one double two three four five six", "oh seven nine one one double two three four five six",
     "PHONE"),
    ("card 4111 1111 1111 1111 expires soon", "4111 1111 1111 1111", "CARD"),
    ("amex 3782-822463-10005 ok", "3782-822463-10005", "CARD"),
    ("number 4012888888881881", "4012888888881881", "CARD"),
    ("four one one one one one one one one one one one one one one one is my card",
     "four one one one one one one one one one one one one one one one", "CARD"),
    ("my social is 123-45-6789", "123-45-6789", "SSN"),
    ("SSN is 123456789", "123456789", "SSN"),
    ("I was born on 03/11/1980 in Ohio", "03/11/1980", "DOB"),
    ("DOB: 1980-03-11", "1980-03-11", "DOB"),
    ("date of birth is March 11, 1980", "March 11, 1980", "DOB"),
    ("birthday 11th of March 1980", "11th of March 1980", "DOB"),
    ("send it to 221 Baker Street, Apt 4, London", "221 Baker Street, Apt 4", "ADDRESS"),
    ("we're at 350 5th Ave in New York", "350 5th Ave", "ADDRESS"),
    ("1600 north Elm Rd.", "1600 north Elm Rd.", "ADDRESS"),
]


@pytest.mark.parametrize(("text", "pii", "kind"), CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_placeholder_mode_replaces_each_kind_with_its_typed_placeholder(text: str, pii: str, kind: str) -> None:
    # given text with one piece of PII
    # when it is redacted with placeholders
    out = redact(text, "placeholder")
    # then the PII is gone and its typed placeholder stands where it was
    assert out == text.replace(pii, f"[{kind}]")


@pytest.mark.parametrize(("text", "pii", "kind"), CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_mask_mode_replaces_each_kind_with_a_fixed_mask(text: str, pii: str, kind: str) -> None:
    out = redact(text, "mask")
    assert out == text.replace(pii, MASK)


@pytest.mark.parametrize(("text", "pii", "kind"), CASES[:5])
def test_off_mode_returns_the_text_unchanged(text: str, pii: str, kind: str) -> None:
    assert redact(text, "off") == text


@pytest.mark.parametrize(
    "text",
    [
        "meeting on 2024-11-03 at 10:30",  # a date without birth context
        "I paid 3.50 for 2 items on 12/11/2024",
        "card 4111-1111-1111-1112 fails Luhn",
        "order 1234567 shipped",
        "the years 2023 2024 were busy",
        "3 dogs in the street",
        "version 1.2.3 on 10.0.0.1",
        "look at that, one or two of them",
        "five o'clock on the 4th",
    ],
)
def test_ordinary_numbers_and_dates_are_kept(text: str) -> None:
    assert redact(text, "placeholder") == text


def test_finds_every_kind_in_one_transcript_line_in_order() -> None:
    text = ("Email a@b.io, phone 415-555-0123, card 4111111111111111, SSN 123-45-6789, "
            "born on 1/2/1990, at 12 Main St")
    kinds = [f.kind for f in find_pii(text)]
    assert kinds == ["EMAIL", "PHONE", "CARD", "SSN", "DOB", "ADDRESS"]


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111a1111111111")


def test_invalid_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="redaction mode"):
        redact("x", "scramble")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="redaction mode"):
        redactor("scramble")  # type: ignore[arg-type]


def test_redact_turns_redacts_text_and_heard_text_and_keeps_the_rest() -> None:
    turns = (
        Turn(role="caller", text="I'm at jane@example.com", start_ms=0, end_ms=900),
        Turn(role="assistant", text="I'll call 415 555 0123 now and", heard_text="I'll call 415 555 0123",
             start_ms=1000, end_ms=2000, interrupted=True),
    )
    out = redact_turns(turns, "placeholder")
    assert [t.text for t in out] == ["I'm at [EMAIL]", "I'll call [PHONE] now and"]
    assert out[1].heard_text == "I'll call [PHONE]"
    assert (out[1].start_ms, out[1].end_ms, out[1].interrupted) == (1000, 2000, True)
    assert redact_turns(turns, "off") == turns


def test_redact_value_walks_nested_structures_and_keeps_keys_and_non_strings() -> None:
    value = {"caller": {"email": "a@b.io", "phones": ["415-555-0123", "n/a"]}, "count": 3, "ok": True,
             "tags": ("born on 1/2/1990",)}
    out = redact_value(value, "placeholder")
    assert out == {"caller": {"email": "[EMAIL]", "phones": ["[PHONE]", "n/a"]}, "count": 3, "ok": True,
                   "tags": ("born on [DOB]",)}


def test_redactor_plugs_into_the_analysis_hook() -> None:
    turns = (Turn(role="caller", text="card 4111 1111 1111 1111", start_ms=0, end_ms=1),)
    assert render_transcript(turns, redact=redactor("placeholder")) == "Caller: card [CARD]"
    assert render_transcript(turns, redact=redactor("off")) == "Caller: card 4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("compliance", "stored", "analysed"),
    [
        (Compliance(), "placeholder", "placeholder"),
        (Compliance(redaction="mask"), "mask", "mask"),
        (Compliance(redaction="off"), "off", "placeholder"),
        (Compliance(redaction="off", redact_analysis_inputs=False), "off", "off"),
        (Compliance(redaction="off", hipaa_mode=True), "placeholder", "placeholder"),
    ],
)
def test_modes_per_assistant(compliance: Compliance, stored: str, analysed: str) -> None:
    assert transcript_mode(compliance) == stored
    assert analysis_mode(compliance) == analysed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 " * 5000, "[CARD] "),  # thousands of groups: redacted whole, unchecked
        ("x" + "1" * 5000 + "y", "x[CARD]y"),
        ("a." * 5000 + "@b.com", "[EMAIL]"),
        ("a" * 5000 + "@", "a" * 5000 + "@"),
    ],
)
def test_hostile_inputs_are_handled_whole(text: str, expected: str) -> None:
    assert redact(text) == expected
