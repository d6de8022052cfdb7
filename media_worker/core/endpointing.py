"""End-of-turn policy: when has the caller finished?

The STT says when speech paused (``speech_final``, ``UtteranceEnd``). A pause
is not always the end of a turn: people pause between digit groups of a phone
number, between the letters of a spelled name, inside an email address, and
at commas. While the transcript ends like that, the turn is held for
``hold_incomplete_ms`` more. A transcript that ends a sentence (``.?!``)
ends the turn at once; the hold never applies to it, so a finished sentence
never waits long.
"""

from __future__ import annotations

import re
from enum import StrEnum

from .config import TurnPolicy


class HoldReason(StrEnum):
    """Why a transcript looks unfinished."""

    TRAILING_COMMA = "trailing_comma"
    CONTINUATION_WORD = "continuation_word"
    DIGITS = "digits"
    SPELLING = "spelling"
    EMAIL = "email"


CONTINUATION_WORDS = frozenset(
    {
        "and", "but", "or", "so", "because", "then", "um", "uh", "er", "erm", "like",
        "the", "a", "an", "to", "of", "with", "for", "my", "your", "is", "was", "if", "that",
    }
)  # fmt: skip
EMAIL_WORDS = frozenset({"at", "dot", "underscore", "dash", "hyphen"})
NUMBER_WORDS = frozenset(
    {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "double", "triple"}
)
DIGIT_CUES = frozenset({"number", "phone", "code", "zip", "digits", "account", "card", "pin", "extension"})
COMPLETE_PHONE_DIGITS = frozenset({10, 11})

_TRAILING_PUNCT = (",", ";", ":", "-", "\u2013", "\u2014", "...", "\u2026")  # incl. en/em dash, ellipsis
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_TOKEN_STRIP = ".,;:!?\"'()"


def hold_reason(text: str) -> HoldReason | None:
    """Why ``text`` looks like the caller is mid-sequence, or ``None`` when it may end the turn."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.endswith(_TRAILING_PUNCT):
        return HoldReason.TRAILING_COMMA
    raw_tokens = stripped.split()
    tokens = [t.strip(_TOKEN_STRIP).lower() for t in raw_tokens]
    tokens = [t for t in tokens if t]
    if not tokens:
        return None
    last = tokens[-1]
    sentence_ended = stripped.endswith((".", "?", "!"))
    if "@" in last and not _EMAIL.fullmatch(last):
        return HoldReason.EMAIL
    if last in EMAIL_WORDS and not sentence_ended:
        return HoldReason.EMAIL
    if _spelled_run(tokens) >= 2:
        return HoldReason.SPELLING
    digits, groups = _digit_run(tokens)
    dictating = digits > 0 and _is_sequence(tokens, groups, digits, raw_tokens[-1], sentence_ended=sentence_ended)
    if dictating and not (sentence_ended and digits in COMPLETE_PHONE_DIGITS):
        return HoldReason.DIGITS
    if last in CONTINUATION_WORDS and not stripped.endswith(("?", "!")):
        return HoldReason.CONTINUATION_WORD
    return None


def end_of_turn_delay_ms(text: str, policy: TurnPolicy, *, stt_endpoint: bool) -> float:
    """How long to wait before ending the turn, from now.

    ``stt_endpoint`` is true when the STT itself reported the end of speech
    (``speech_final`` or ``UtteranceEnd``): then a finished-looking
    transcript ends the turn at once (0). Otherwise this is the silence
    fallback, armed on every transcript update.
    """
    hold = policy.hold_incomplete_ms if hold_reason(text) is not None else 0.0
    if stt_endpoint:
        return hold
    return policy.silence_fallback_ms + hold


def _spelled_run(tokens: list[str]) -> int:
    """How many single letters end the transcript ("j a n e", or "j-a-n-e" as one token)."""
    if "-" in tokens[-1] and all(len(p) == 1 and p.isalpha() for p in tokens[-1].split("-")):
        return len(tokens[-1].split("-"))
    run = 0
    for token in reversed(tokens):
        if len(token) == 1 and token.isalpha():
            run += 1
        else:
            break
    return run


def _digit_run(tokens: list[str]) -> tuple[int, int]:
    """(digits, groups) in the trailing run of digit groups and number words."""
    digits = 0
    groups = 0
    for token in reversed(tokens):
        compact = token.replace("-", "").replace("(", "").replace(")", "")
        if compact.isdigit():
            digits += len(compact)
            groups += 1
        elif token in NUMBER_WORDS:
            digits += 1
            groups += 1
        else:
            break
    return digits, groups


def _is_sequence(tokens: list[str], groups: int, digits: int, last_raw: str, *, sentence_ended: bool) -> bool:
    """Is the trailing number being dictated ("4 1 5", "my number is 415"), not just "I'm 25."?"""
    if groups >= 2 or "-" in last_raw:
        return True
    window = tokens[-(groups + 4) : -groups] if len(tokens) > groups else []
    if any(t in DIGIT_CUES for t in window):
        return True
    return digits >= 3 and not sentence_ended
