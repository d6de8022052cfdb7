"""PII redaction: a pure function over text, applied before anything is stored, sent or logged.

Kinds found (ASCII digits only; transcripts from the STT providers use them):

- ``EMAIL``: ``local@domain.tld`` (RFC 5322 atext in the local part), and spoken
  ``jane at example dot com``.
- ``PHONE``: E.164 and spelled-out international numbers (``+44 20 7946 0958``), national formats
  (``(415) 555-0123``, ``415.555.0123``, ``07911 123456``, ten or more bare digits, 7 to 9 digits
  with separators), and spoken digit groups (``four one five, five five five ...``: seven or more
  digits said as words, numerals allowed in between).
- ``CARD``: 13 to 19 digits, with or without spaces or dashes, that pass the Luhn check (written or
  spoken). A longer run that contains a Luhn-valid 13 to 19 digit window is redacted whole.
- ``SSN``: US social security numbers ``123-45-6789`` / ``123 45 6789`` (valid area, group and
  serial), or nine bare digits right after "SSN" / "social security".
- ``DOB``: a date (``03/11/1980``, ``1980-03-11``, ``March 11, 1980``, ``11th of March 1980``) only
  when it follows "born", "date of birth", "DOB" or "birthday": other dates are kept.
- ``ADDRESS``: a street address where detectable: house number, one to three street-name words and a
  street suffix (``221 Baker Street``, ``350 5th Ave, Suite 300``).

Modes (per assistant, :class:`switchboard.models.Compliance.redaction`):

- ``off``: text unchanged.
- ``mask``: every finding becomes the fixed string ``****``. A fixed width (rather than one ``*``
  per character) leaks neither the length nor, for spoken digits, the words' lengths, and hides
  the kind as well.
- ``placeholder``: every finding becomes its typed placeholder: ``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
  ``[SSN]``, ``[DOB]``, ``[ADDRESS]``.

:func:`redact` is idempotent, and neither replacement contains any part of what it replaced.
Detection leans towards over-redaction: a long order number may come out as ``[PHONE]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from .models import Compliance, Turn

Mode = Literal["off", "mask", "placeholder"]
Kind = Literal["EMAIL", "PHONE", "CARD", "SSN", "DOB", "ADDRESS"]
MODES: tuple[Mode, ...] = ("off", "mask", "placeholder")
MASK = "****"
MAX_CHECKED_GROUPS = 64
PLACEHOLDERS: dict[Kind, str] = {kind: f"[{kind}]" for kind in ("EMAIL", "PHONE", "CARD", "SSN", "DOB", "ADDRESS")}
_PRIORITY: dict[Kind, int] = {"EMAIL": 6, "CARD": 5, "SSN": 4, "DOB": 3, "ADDRESS": 2, "PHONE": 1}

DIGIT_WORDS: dict[str, str] = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
REPEATERS = {"double": 2, "triple": 3}


@dataclass(frozen=True, slots=True)
class Finding:
    start: int
    end: int
    kind: Kind


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a digit string (what card numbers carry)."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def contains_card(groups: Sequence[str]) -> bool:
    """Whether digit *groups* (as written: ``4111 1111 ...``, or one digit per spoken word) hold a card.

    A card is 13 to 19 digits that pass Luhn, made of whole consecutive groups; a group longer
    than 19 digits (a card glued to other digits) is searched digit by digit. More than
    :data:`MAX_CHECKED_GROUPS` groups, or a group of more digits than that (no one reads a number
    like that), count as a card unchecked, which keeps the time linear on hostile input.
    """
    if len(groups) > MAX_CHECKED_GROUPS:
        return True
    for first in range(len(groups)):
        digits = ""
        for group in groups[first:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_valid(digits):
                return True
    return any(len(group) > MAX_CHECKED_GROUPS or (len(group) > 19 and _luhn_window(group)) for group in groups)


def _luhn_window(digits: str) -> bool:
    return any(
        luhn_valid(digits[start : start + length])
        for length in range(13, 20)
        for start in range(len(digits) - length + 1)
    )


# -- patterns ---------------------------------------------------------------------------------

_EMAIL = re.compile(
    # Matches start only where a local part starts: no rescanning of long runs (linear time).
    r"(?<![A-Za-z0-9!#$%&'*+/=?^_`{|}~.-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z0-9-]+"
)
_SPOKEN_EMAIL = re.compile(
    r"(?<![a-z0-9._-])[a-z0-9][a-z0-9._-]*\s+at\s+[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)+\b", re.IGNORECASE
)
_RUN = re.compile(r"(?<![0-9])(?:\+\s?)?\(?[0-9](?:(?:[ .\-]|\)\s?|\s?\()?[0-9])*")
_SSN_FORMAT = re.compile(r"([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})")
_SSN_CONTEXT = re.compile(r"(?:\bssn|social\s+security(?:\s+number)?)\b\W{0,4}(?:\w+\W+){0,2}$", re.IGNORECASE)
_NOT_PHONE = (
    re.compile(r"[0-9]{4}[-.][0-9]{1,2}[-.][0-9]{1,2}"),  # ISO date
    re.compile(r"[0-9]{1,2}[-.][0-9]{1,2}[-.](?:[0-9]{4}|[0-9]{2})"),  # day-month-year
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"),  # IPv4
    re.compile(r"[0-9]+\.[0-9]+"),  # a decimal
    re.compile(r"(?:19|20)[0-9]{2}(?:[ .-](?:19|20)[0-9]{2})+"),  # years
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"
    rf"|{_MONTH}\.?\s+[0-9]{{1,2}}(?:st|nd|rd|th)?,?\s+[0-9]{{4}}"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+[0-9]{{4}})"
)
_DOB = re.compile(
    rf"\b(?:born|date\s+of\s+birth|d\.?o\.?b|birth\s*date|birthday)\b[^\n]{{0,24}}?(?<![0-9])({_DATE})(?![0-9])",
    re.IGNORECASE,
)
_STOPWORDS = (
    r"(?:the|a|an|in|on|at|of|to|my|your|our|their|his|her|its|this|that|and|or|is|was|are|for|with|from"
    r"|by|down|up|across|over|about|than|then|times|days|weeks|years|hours|minutes|people|dollars)"
)
_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter"
    r"|circle|cir|parkway|pkwy|highway|hwy|square|sq)"
)
_ADDRESS = re.compile(
    rf"(?<![0-9])[0-9]{{1,6}}[a-z]?\s+(?:(?:n|s|e|w|north|south|east|west)\.?\s+)?"
    rf"(?:(?!{_STOPWORDS}\b)[a-z][a-z'-]*\s+|[0-9]{{1,3}}(?:st|nd|rd|th)\s+){{1,3}}{_SUFFIX}\b\.?"
    r"(?:,?\s*(?:apt|apartment|suite|ste|unit|#)\.?\s*#?\s*[a-z0-9-]+)?",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+")
_GAP = re.compile(r"[\s,.\-]*")


# -- detection --------------------------------------------------------------------------------


def _classify_run(text: str, start: int, run: str) -> Kind | None:
    groups = [g for g in re.split(r"[^0-9]+", run) if g]
    n = sum(len(g) for g in groups)
    plus = run.startswith("+")
    if n >= 13 and not (plus and n <= 15) and contains_card(groups):
        return "CARD"
    ssn = _SSN_FORMAT.fullmatch(run)
    if ssn and _valid_ssn(ssn.group(1), ssn.group(3), ssn.group(4)):
        return "SSN"
    if n == 9 and run.isdigit() and _SSN_CONTEXT.search(text[max(0, start - 40) : start]):
        return "SSN"
    if any(p.fullmatch(run) for p in _NOT_PHONE):
        return None
    if plus:
        return "PHONE" if 8 <= n <= 15 else None
    if 10 <= n <= 15:
        return "PHONE"
    if 7 <= n <= 9 and len(groups) > 1 and len(groups[-1]) >= 4:
        return "PHONE"
    return None


def _valid_ssn(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def _runs(text: str) -> Iterable[Finding]:
    for match in _RUN.finditer(text):
        start, run = match.start(), match.group()
        if run.startswith("(") and ")" not in run:
            start, run = start + 1, run[1:]
        kind = _classify_run(text, start, run)
        end = start + len(run)
        glued = (start > 0 and _is_word_char(text[start - 1])) or (end < len(text) and _is_word_char(text[end]))
        # Digits inside a word (ids, hashes, UUIDs) are not phone numbers; a card number still counts.
        if kind is not None and (kind == "CARD" or not glued):
            yield Finding(start, end, kind)


def _is_word_char(char: str) -> bool:
    return char.isalpha() or char == "_"


def _spoken_digits(text: str) -> Iterable[Finding]:
    """Runs of digit words (``four one five ...``), numerals allowed in between, ``double five`` expanded."""
    run: list[tuple[int, int, str, bool]] = []  # (start, end, digits, was_word)

    def close() -> Iterable[Finding]:
        if run and any(word for *_, word in run):
            digits = "".join(d for _, _, d, _ in run)
            kind = _classify_spoken(text, run[0][0], digits)
            if kind is not None:
                yield Finding(run[0][0], run[-1][1], kind)
        run.clear()

    pending_repeat: tuple[int, int] | None = None  # (start, times) of a "double"/"triple"
    last_end = 0
    for token in _TOKEN.finditer(text):
        word = token.group().lower()
        if run and not _GAP.fullmatch(text, last_end, token.start()):
            yield from close()
            pending_repeat = None
        if word in REPEATERS:
            pending_repeat = (token.start(), REPEATERS[word])
            last_end = token.end()
            continue
        if word in DIGIT_WORDS or word.isdigit():
            digits = DIGIT_WORDS.get(word, word)
            start = token.start()
            if pending_repeat is not None and word in DIGIT_WORDS:
                start, digits = pending_repeat[0], digits * pending_repeat[1]
            run.append((start, token.end(), digits, word in DIGIT_WORDS))
        else:
            yield from close()
        pending_repeat = None
        last_end = token.end()
    yield from close()


def _classify_spoken(text: str, start: int, digits: str) -> Kind | None:
    n = len(digits)
    if n >= 13 and contains_card(list(digits)):
        return "CARD"
    if n == 9 and _SSN_CONTEXT.search(text[max(0, start - 40) : start]):
        return "SSN"
    return "PHONE" if n >= 7 else None


def find_pii(text: str) -> list[Finding]:
    """Every PII finding in *text*, overlaps merged (the merged span takes the strongest kind), in order."""
    found: list[Finding] = [Finding(_email_start(text, m), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    found += [Finding(m.start(), m.end(), "EMAIL") for m in _SPOKEN_EMAIL.finditer(text)]
    found += list(_runs(text))
    found += list(_spoken_digits(text))
    found += [Finding(m.start(1), m.end(1), "DOB") for m in _DOB.finditer(text)]
    found += [Finding(m.start(), m.end(), "ADDRESS") for m in _ADDRESS.finditer(text)]
    return _merge(found)


def _email_start(text: str, match: re.Match[str]) -> int:
    """A quote opening ``'jane@example.com'`` stays outside the finding (unless it is the whole local part)."""
    start = match.start()
    return start + 1 if text[start] in "'`" and text[start + 1] != "@" else start


def _merge(found: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if _PRIORITY[last.kind] >= _PRIORITY[finding.kind] else finding.kind
            merged[-1] = Finding(last.start, max(last.end, finding.end), kind)
        else:
            merged.append(finding)
    return merged


# -- replacement ------------------------------------------------------------------------------


def replacement(kind: Kind, mode: Mode) -> str:
    return MASK if mode == "mask" else PLACEHOLDERS[kind]


def redact(text: str, mode: Mode = "placeholder") -> str:
    """*text* with every PII finding replaced as *mode* says (``off`` returns it unchanged)."""
    if mode not in MODES:
        raise ValueError(f"redaction mode must be one of {', '.join(MODES)}")
    if mode == "off" or not text:
        return text
    # Replacing can bring two numbers together ("555 [PHONE] 0123" -> not PII, but a spoken run
    # split by a finding may close up): repeat until nothing changes, so the result is a fixed point.
    for _ in range(4):
        findings = find_pii(text)
        if not findings:
            return text
        parts: list[str] = []
        cursor = 0
        for finding in findings:
            parts += [text[cursor : finding.start], replacement(finding.kind, mode)]
            cursor = finding.end
        parts.append(text[cursor:])
        text = "".join(parts)
    return text


def redactor(mode: Mode) -> Callable[[str], str]:
    """``redact`` bound to *mode*: the ``redact`` hook that analysis and post_call take."""
    if mode not in MODES:
        raise ValueError(f"redaction mode must be one of {', '.join(MODES)}")
    return partial(redact, mode=mode)


def transcript_mode(compliance: Compliance) -> Mode:
    """How the assistant's stored transcripts and CRM bodies are redacted (never ``off`` in HIPAA mode)."""
    if compliance.hipaa_mode and compliance.redaction == "off":
        return "placeholder"
    return compliance.redaction


def analysis_mode(compliance: Compliance) -> Mode:
    """How the transcript sent to the analysis LLM is redacted: ``redact_analysis_inputs`` asks for
    redaction even when stored transcripts are kept as spoken (``off`` then means ``placeholder``)."""
    if not compliance.redact_analysis_inputs:
        return "off"
    mode = transcript_mode(compliance)
    return "placeholder" if mode == "off" else mode


def redact_turns(turns: Sequence[Turn], mode: Mode = "placeholder") -> tuple[Turn, ...]:
    """Turns with ``text`` and ``heard_text`` redacted (timings, roles and tool calls unchanged)."""
    if mode == "off":
        return tuple(turns)
    return tuple(
        turn.model_copy(
            update={
                "text": redact(turn.text, mode),
                "heard_text": None if turn.heard_text is None else redact(turn.heard_text, mode),
            }
        )
        for turn in turns
    )


def redact_value(value: Any, mode: Mode = "placeholder") -> Any:
    """Every string inside *value* (dicts, lists, tuples, sets, nested) redacted; keys and other values kept."""
    if isinstance(value, str):
        return redact(value, mode)
    if isinstance(value, dict):
        return {key: redact_value(item, mode) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(item, mode) for item in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(redact_value(item, mode) for item in value)
    return value
