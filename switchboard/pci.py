"""PCI: find where the caller reads card details, and keep them out of recordings, transcripts and the LLM.

Everything here is pure. The media worker feeds it the streaming transcript (the STT's words with
their start/end in seconds since the stream started) and whether the assistant is collecting
payment; it gets back:

- :func:`find_pci_spans`: the audio spans to silence in the *stored* recording (the live audio still
  goes to the STT untouched). A span is a run of digits read out, as numerals (``4111``) or words
  (``four one one one``, ``double one``), fillers (``uh``, ``and``, ``dash``) allowed inside:

  * 12 or more digits: a card number, always;
  * 3 or 4 digits right after "security code", "CVV", "CVC" ... : a security code, always;
  * 3 or more digits while the assistant collects payment (card, expiry, code), given as time windows.

  Spans are padded (STT word timings are approximate) and merged.
- :func:`mask_pcm`: the recording with digital silence written over the spans (mu-law ``0xFF`` or
  linear PCM ``0``), every other byte untouched.
- :func:`mask_card_text`: transcript text keeping only the last four digits, ``[CARD ending 1111]``
  (security codes become ``[SECURITY CODE]``; other digits read while paying ``[CARD DETAIL]``).
- :func:`tokenize_cards`: the text for the LLM context, the card replaced by ``card_tok_<hmac>`` (and
  a security code by ``cvc_tok_<hmac>``), plus :class:`CardCapture` values the worker keeps in memory
  only, for the payment tool. The HMAC key is per call, so tokens are stable within a call and
  unlinkable across calls.

DTMF: digits typed on the keypad are never stored or logged. The worker must not add them to turns
and must log only that a key was pressed (the log filter also blanks ``dtmf`` / ``digit`` fields).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

CARD_MIN_DIGITS = 12
PAYMENT_MIN_DIGITS = 3
MULAW_SILENCE = 0xFF

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "for": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "ate": "8", "nine": "9", "won": "1", "to": "2", "too": "2",
}
"""Digit words, with the homophones an STT writes when digits are read out one by one."""
_HOMOPHONES = frozenset({"for", "ate", "won", "to", "too"})
"""Count only between other digits (``for 4111 ...``: the ``for`` is not a ``4``)."""
_ZERO_WORDS = frozenset({"o", "oh"})
"""Count as 0 next to other digits (``oh four``), never alone."""
REPEATERS = {"double": 2, "triple": 3}
FILLERS = frozenset({"uh", "um", "er", "erm", "ah", "and", "dash", "hyphen", "space", "then", "hmm"})
SECURITY_CODE_CUES = (
    "security code", "cvv", "cvv2", "cvc", "cvc2", "cid", "card verification", "verification code",
    "code on the back", "three digit code", "four digit code", "card code",
)
CUE_LOOKBACK_WORDS = 8
MAX_FILLERS = 3
"""Filler words in a row that a run survives."""

Encoding = Literal["mulaw", "linear16"]
CaptureKind = Literal["card", "security_code", "payment_digits"]


@dataclass(frozen=True, slots=True)
class Word:
    """One STT word: text and its start/end in seconds since the stream began (Deepgram ``words[]``)."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Span:
    """Seconds since the stream began."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class CardCapture:
    """What the caller read, for the payment tool only: kept in the call's memory, never stored or logged."""

    kind: CaptureKind
    token: str
    last4: str
    digits: str = field(repr=False)

    def __repr__(self) -> str:
        return f"CardCapture(kind={self.kind!r}, token={self.token!r}, last4={self.last4!r})"


@dataclass(frozen=True, slots=True)
class _Run:
    first: int
    last: int
    """indices of the first and last token in the run"""
    digits: str
    kind: CaptureKind


# -- tokens and runs ----------------------------------------------------------------------------


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def word_digits(word: str) -> str | None:
    """The digits a word stands for (``"4111,"`` -> ``4111``, ``"Four"`` -> ``4``), or None."""
    text = _norm(word)
    if text.isdigit():
        return text
    return DIGIT_WORDS.get(text)


def _find_runs(texts: Sequence[str], joinable: Callable[[int, int], bool], in_payment: Callable[[int], bool]) -> \
        list[_Run]:
    """Digit runs over tokens; *joinable(i, j)* says whether token j may continue a run ending at token i."""
    runs: list[_Run] = []
    entries: list[tuple[int, str]] = []  # (token index, digits)
    texts_norm = [_norm(t) for t in texts]
    repeat = 1

    def close() -> None:
        while entries and texts_norm[entries[0][0]] in _HOMOPHONES:  # "for 4111 ...": not a 4
            entries.pop(0)
        while entries and texts_norm[entries[-1][0]] in _HOMOPHONES:
            entries.pop()
        if any(texts_norm[i] not in _ZERO_WORDS for i, _ in entries):
            first, last = entries[0][0], entries[-1][0]
            digits = "".join(d for _, d in entries)
            kind = _classify(texts, first, digits, in_payment(first) or in_payment(last))
            if kind is not None:
                runs.append(_Run(first, last, digits, kind))
        entries.clear()

    for index, raw in enumerate(texts):
        text = texts_norm[index]
        value = word_digits(raw)
        if entries and not joinable(entries[-1][0], index):
            close()
        if text in REPEATERS:
            repeat = REPEATERS[text]
            continue
        if value is not None:
            entries.append((index, value if text.isdigit() else value * repeat))
        elif entries and text in FILLERS and index - entries[-1][0] <= MAX_FILLERS:
            pass  # "four one one one, uh, one one ..." keeps the run open
        else:
            close()
        repeat = 1
    close()
    return runs


def _classify(texts: Sequence[str], first: int, digits: str, paying: bool) -> CaptureKind | None:
    n = len(digits)
    if n >= CARD_MIN_DIGITS:
        return "card"
    if 3 <= n <= 4 and _cued(texts, first):
        return "security_code"
    if paying and n >= PAYMENT_MIN_DIGITS:
        return "payment_digits"
    return None


def _cued(texts: Sequence[str], first: int) -> bool:
    before = " ".join(_norm(t) for t in texts[max(0, first - CUE_LOOKBACK_WORDS) : first])
    padded = f" {before} "
    return any(f" {cue} " in padded for cue in SECURITY_CODE_CUES)


# -- audio spans --------------------------------------------------------------------------------


def find_pci_spans(
    words: Sequence[Word],
    *,
    payment_windows: Sequence[tuple[float, float]] = (),
    pad_s: float = 0.15,
    max_gap_s: float = 3.0,
) -> list[Span]:
    """The spans of the caller's audio to silence in the recording, padded by *pad_s*, merged, in order.

    *words* are the caller's words in time order (several STT finals may be joined: a card read in
    groups often spans finals). *payment_windows* are the (start, end) times in which the assistant
    was in its collecting-payment state. Digits further apart than *max_gap_s* are separate runs.
    """
    if pad_s < 0 or max_gap_s <= 0:
        raise ValueError("pad_s must be >= 0 and max_gap_s > 0")
    texts = [w.text for w in words]

    def joinable(i: int, j: int) -> bool:
        return words[j].start - words[i].end <= max_gap_s

    def in_payment(i: int) -> bool:
        w = words[i]
        return any(start <= w.end and w.start <= end for start, end in payment_windows)

    spans = [
        Span(max(0.0, words[r.first].start - pad_s), words[r.last].end + pad_s)
        for r in _find_runs(texts, joinable, in_payment)
    ]
    return merge_spans(spans)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def mask_pcm(
    buffer: bytes,
    spans: Sequence[Span],
    sample_rate: int,
    *,
    encoding: Encoding = "mulaw",
    channels: int = 1,
    offset_s: float = 0.0,
) -> bytes:
    """*buffer* with digital silence over *spans* (every channel); all other bytes unchanged.

    *offset_s* is the stream time of the buffer's first sample (a recording that started after the
    STT stream). Span edges round outwards to whole samples.
    """
    if sample_rate <= 0 or channels <= 0:
        raise ValueError("sample_rate and channels must be positive")
    width = (1 if encoding == "mulaw" else 2) * channels
    if len(buffer) % width:
        raise ValueError(f"buffer length {len(buffer)} is not a whole number of {width}-byte frames")
    silence = bytes([MULAW_SILENCE]) if encoding == "mulaw" else b"\x00"
    frames = len(buffer) // width
    out = bytearray(buffer)
    for first, last in sample_ranges(spans, sample_rate, frames=frames, offset_s=offset_s):
        out[first * width : last * width] = silence * ((last - first) * width)
    return bytes(out)


def sample_ranges(
    spans: Sequence[Span], sample_rate: int, *, frames: int, offset_s: float = 0.0
) -> list[tuple[int, int]]:
    """``[first, last)`` sample indices each span covers within a buffer of *frames* samples."""
    ranges = []
    for span in spans:
        first = max(0, math.floor((span.start - offset_s) * sample_rate))
        last = min(frames, math.ceil((span.end - offset_s) * sample_rate))
        if last > first:
            ranges.append((first, last))
    return ranges


# -- text ---------------------------------------------------------------------------------------

_TEXT_TOKEN = re.compile(r"[A-Za-z0-9]+")
_TEXT_GAP = re.compile(r"[\s,.;:!?()'\"-]*")


def _text_runs(text: str, collecting_payment: bool) -> tuple[list[re.Match[str]], list[_Run]]:
    tokens = list(_TEXT_TOKEN.finditer(text))

    def joinable(i: int, j: int) -> bool:  # only separators between the tokens (fillers are tokens too)
        return all(_TEXT_GAP.fullmatch(text, tokens[k].end(), tokens[k + 1].start()) for k in range(i, j))

    runs = _find_runs([t.group() for t in tokens], joinable, lambda _i: collecting_payment)
    return tokens, runs


def _replace_runs(text: str, collecting_payment: bool, label: Callable[[_Run], str]) -> str:
    tokens, runs = _text_runs(text, collecting_payment)
    parts: list[str] = []
    cursor = 0
    for run in runs:
        start, end = tokens[run.first].start(), tokens[run.last].end()
        parts += [text[cursor:start], label(run)]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def mask_card_text(text: str, *, collecting_payment: bool = False) -> str:
    """Transcript text: a card keeps its last four digits, a security code and other payment digits none."""

    def label(run: _Run) -> str:
        if run.kind == "card":
            return f"[CARD ending {run.digits[-4:]}]"
        return "[SECURITY CODE]" if run.kind == "security_code" else "[CARD DETAIL]"

    return _replace_runs(text, collecting_payment, label)


def card_token(digits: str, key: bytes, kind: CaptureKind = "card") -> str:
    """``card_tok_<hmac>`` (``cvc_tok_`` / ``pay_tok_`` for the others): the same digits, the same token."""
    if len(key) < 16:
        raise ValueError("the token key must be at least 16 bytes (use one random key per call)")
    prefix = {"card": "card_tok_", "security_code": "cvc_tok_", "payment_digits": "pay_tok_"}[kind]
    return prefix + hmac.new(key, f"{kind}:{digits}".encode(), hashlib.sha256).hexdigest()[:20]


def tokenize_cards(text: str, key: bytes, *, collecting_payment: bool = False) -> tuple[str, list[CardCapture]]:
    """The text for the LLM context (card details replaced by tokens) and what each token stands for."""
    captures: list[CardCapture] = []

    def label(run: _Run) -> str:
        capture = CardCapture(kind=run.kind, token=card_token(run.digits, key, run.kind), last4=run.digits[-4:],
                              digits=run.digits)
        captures.append(capture)
        return capture.token

    return _replace_runs(text, collecting_payment, label), captures
