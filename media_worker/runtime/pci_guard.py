"""PCI for one call: card digits out of the LLM context, the stored transcript and the stored recording.

Built on the pure :mod:`switchboard.pci`. With ``compliance.pci_masking`` the guard sits where the
runtime turns an STT result into the core's ``TranscriptUpdated``:

- **LLM context**: each result (interim or final) goes to the core with card details replaced by
  ``tokenize_cards`` tokens (``card_tok_<hmac>``; the HMAC key is random per call). The words are
  rebuilt to match the text (a replaced run becomes one word spanning its times), so nothing the
  core derives from words brings the digits back. What each token stands for stays in this object's
  memory only (:attr:`PciGuard.captures`).
- **Stored transcript** (:meth:`PciGuard.stored_text`): tokens become ``[CARD ending 1111]`` /
  ``[SECURITY CODE]`` / ``[CARD DETAIL]``, then ``mask_card_text`` runs over the whole turn (this
  also catches a card read across several STT finals, which the core joined into one turn). DTMF
  digits in turns (``[DTMF] 1 2 3``, written by the core) become ``*``; ``call.ended``'s ``dtmf``
  field gets one ``*`` per key (:func:`mask_dtmf`), so which keys were pressed is never stored.
- **Recording**: the caller's final words (with STT timings) feed ``find_pci_spans``, which the
  recorder silences. :meth:`PciGuard.safe_until_s` says how far the recording may be stored: up to
  what STT finals cover, minus the padding, and never past the start of a digit run that the next
  final could still continue (12 digits read in groups are one card).

**Collecting payment.** The core has no "collecting payment" state, so payment windows come from
transcript cues only: a window of :data:`PAYMENT_WINDOW_S` opens when the caller says a payment cue
(``card number``, ``expiry``, ``security code`` ...), or when the caller answers an assistant turn
that mentioned one. Inside a window 3+ digits (expiry, ZIP, short codes) are masked too.

Known limits: the LLM tokenization works per STT result; a card split across finals is tokenized
piece by piece only inside a payment window (each piece >= 3 digits), else its pieces (< 12 digits
each) reach the LLM as spoken. DTMF digits reach the LLM context as the core writes them.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from media_worker.core import TranscriptUpdated, Word
from switchboard import pci
from switchboard.models import Turn

PAD_S = 0.25
"""Padding around each masked run (STT word timings are approximate)."""
MAX_GAP_S = 3.0
"""Digits further apart than this are separate runs."""
SLACK_S = 0.25
"""How much a later STT result may move a word back in time."""
PAYMENT_WINDOW_S = 60.0
LOOKBACK_S = 120.0
PAYMENT_CUES = (
    "card number", "credit card", "debit card", "card details", "long number", "expiration", "expiry",
    "expires", "security code", "cvv", "cvc", "billing zip", "zip code", "postal code", "payment",
)
_DTMF = re.compile(r"\[DTMF\]((?: [0-9A-Da-d*#])+)")
_NORM = re.compile(r"[^a-z0-9 ]")


def mask_dtmf(digits: Sequence[str]) -> tuple[str, ...]:
    """One ``*`` per key pressed."""
    return tuple("*" for _ in digits)


def mask_dtmf_text(text: str) -> str:
    """``[DTMF] 1 2 #`` -> ``[DTMF] * * *``."""
    return _DTMF.sub(lambda m: "[DTMF]" + re.sub(r"[^ ]", "*", m.group(1)), text)


def _has_cue(text: str) -> bool:
    padded = " " + " ".join(_NORM.sub(" ", text.lower()).split()) + " "
    return any(f" {cue} " in padded for cue in PAYMENT_CUES)


class PciGuard:
    def __init__(self, *, key: bytes | None = None, agent_text: Callable[[], str | None] = lambda: None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._agent_text = agent_text
        self._agent_cue_seen: str | None = None
        self.words: list[pci.Word] = []
        """The caller's final words, in time order (digits included: memory only)."""
        self.windows: list[tuple[float, float]] = []
        self.captures: dict[str, pci.CardCapture] = {}
        self.covered_s = 0.0
        self.speech_pending = False

    # -- STT results -> the core --------------------------------------------------------------

    def covered(self, stream_end_s: float) -> None:
        """An STT final covered the caller's audio up to *stream_end_s* (speech or silence)."""
        self.covered_s = max(self.covered_s, stream_end_s)

    def speech_started(self) -> None:
        self.speech_pending = True

    def for_core(self, event: TranscriptUpdated) -> TranscriptUpdated:
        """The result as the core (and so the LLM) may see it; finals also feed the recording's spans."""
        if event.is_final:
            self._remember(event)
            self.speech_pending = False
        elif event.text.strip():
            self.speech_pending = True
        return self._tokenized(event)

    def _remember(self, event: TranscriptUpdated) -> None:
        words = [pci.Word(w.text, w.start_s, w.end_s) for w in event.words]
        if not words:
            return
        self.words.extend(words)
        self.words.sort(key=lambda w: w.start)
        self.covered(words[-1].end)
        texts = [w.text for w in words]
        for i in range(len(words)):
            if _has_cue(" ".join(texts[i : i + 3])):
                self.windows.append((words[i].start, words[i].start + PAYMENT_WINDOW_S))
        agent = self._agent_text()
        if agent and agent != self._agent_cue_seen and _has_cue(agent):
            self._agent_cue_seen = agent
            start = max(0.0, words[0].start - PAD_S)
            self.windows.append((start, start + PAYMENT_WINDOW_S))

    def _in_window(self, start: float, end: float) -> bool:
        return any(s <= end and start <= e for s, e in self.windows)

    def _tokenized(self, event: TranscriptUpdated) -> TranscriptUpdated:
        words = event.words
        paying = self._in_window(words[0].start_s, words[-1].end_s) if words else self._in_window(
            self.covered_s, self.covered_s + 1.0)
        source = " ".join(w.text for w in words) if words else event.text
        text, captures = pci.tokenize_cards(source, self._key, collecting_payment=paying)
        if not captures:
            return event
        for capture in captures:
            self.captures[capture.token] = capture
        return replace(event, text=text, words=_realigned(words, text.split()))

    # -- the stored transcript ----------------------------------------------------------------

    def stored_text(self, text: str) -> str:
        for token, capture in self.captures.items():
            if token in text:
                text = text.replace(token, _label(capture))
        return mask_dtmf_text(pci.mask_card_text(text))

    def stored_turns(self, turns: Sequence[Turn]) -> tuple[Turn, ...]:
        return tuple(
            turn.model_copy(update={
                "text": self.stored_text(turn.text),
                "heard_text": None if turn.heard_text is None else self.stored_text(turn.heard_text),
            })
            for turn in turns
        )  # fmt: skip

    # -- the recording ------------------------------------------------------------------------

    def spans(self, start_s: float, end_s: float) -> list[pci.Span]:
        """The masked spans that touch ``[start_s, end_s)``."""
        lookback = start_s - LOOKBACK_S
        words = [w for w in self.words if w.end >= lookback]
        found = pci.find_pci_spans(words, payment_windows=self.windows, pad_s=PAD_S, max_gap_s=MAX_GAP_S)
        return [s for s in found if s.start < end_s and s.end > start_s]

    def safe_until_s(self) -> float:
        """Stream time up to which the recording's spans are final (may be stored)."""
        horizon = self.covered_s
        open_run = self._open_run_start()
        if open_run is not None:
            horizon = min(horizon, open_run)
        return horizon - PAD_S - SLACK_S

    def _open_run_start(self) -> float | None:
        """Start of a trailing digit run that the next final could still continue."""
        words = self.words
        i = len(words) - 1
        fillers = 0
        while i >= 0 and not _digitish(words[i].text) and _norm(words[i].text) in pci.FILLERS and fillers < 3:
            i -= 1
            fillers += 1
        if i < 0 or not _digitish(words[i].text):
            return None
        if self.covered_s - words[i].end > MAX_GAP_S:
            return None
        first = i
        while first > 0:
            prev = words[first - 1]
            if words[first].start - prev.end > MAX_GAP_S:
                break
            if not (_digitish(prev.text) or _norm(prev.text) in pci.FILLERS):
                break
            first -= 1
        return words[first].start


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _digitish(text: str) -> bool:
    return pci.word_digits(text) is not None or _norm(text) in pci.REPEATERS


def _label(capture: pci.CardCapture) -> str:
    if capture.kind == "card":
        return f"[CARD ending {capture.last4}]"
    return "[SECURITY CODE]" if capture.kind == "security_code" else "[CARD DETAIL]"


def _realigned(words: Sequence[Word], new_texts: Sequence[str]) -> tuple[Word, ...]:
    """Words for the tokenized text: unchanged words keep their times, a replaced run spans its originals."""
    if not words:
        return ()
    old = [w.text for w in words]
    out: list[Word] = []
    matcher = difflib.SequenceMatcher(a=old, b=list(new_texts), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(words[i1:i2])
            continue
        if j1 == j2:
            continue  # words dropped (cannot happen with tokenize_cards; kept for safety)
        lo = min(i1, len(words) - 1)
        first, last = words[lo], words[max(lo, min(i2 - 1, len(words) - 1))]
        count = j2 - j1
        span = max(0.0, last.end_s - first.start_s)
        for k in range(count):
            out.append(Word(new_texts[j1 + k], first.start_s + span * k / count,
                            first.start_s + span * (k + 1) / count))  # fmt: skip
    return tuple(out)


def describe(guard: PciGuard) -> dict[str, Any]:
    """Counters safe to log (no digits, no tokens)."""
    return {"masked_runs": len(guard.spans(0.0, float("inf"))), "payment_windows": len(guard.windows),
            "captures": len(guard.captures)}  # fmt: skip
