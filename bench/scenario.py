"""What the simulated callers say and what the fake providers answer, shared by both agents.

Every caller follows the same cycle of turns, so the fake Deepgram's per-connection script
(``transcript_for(n)``: the n-th finalized utterance) always matches what was actually said:

- ``plain``: one sentence, then silence until the reply;
- ``comma``: a clause ending at a comma, a pause longer than the STT's endpointing, then the rest
  (a well-behaved agent holds its turn: answering in the pause is a talk-over);
- ``barge``: a question, then, while the reply plays, an interruption (the agent must ``clear``).

The LLM fake gives the same reply to every request. Its first clause is one sentence of
``FIRST_CLAUSE_TOKENS`` word-tokens with no comma, so the first clause is the same for any agent's
sentence splitter, and the floor (``LatencyProfile.voice_to_voice_floor_ms``) is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fakes.openai import tokens_of

TurnKind = Literal["plain", "comma", "barge"]

REPLY = "I can help you with that today. We are open from nine to five on weekdays. Anything else?"
FIRST_CLAUSE = "I can help you with that today."
FIRST_CLAUSE_TOKENS = len(tokens_of(FIRST_CLAUSE))
GREETING = "Thanks for calling Bench Bistro. How can I help?"

COMMA_PAUSE_MS = 700
"""The pause at the comma: longer than the 300 ms endpointing (the STT finalizes the first half),
shorter than Switchboard's 1200 ms hold for a trailing comma."""
BARGE_AFTER_MS = 900
"""How long the caller lets the reply play before interrupting."""
THINK_MS = (400, 900)
"""Silence between the agent's reply ending and the caller's next turn (varied per caller)."""


@dataclass(frozen=True)
class Phrase:
    """One recorded utterance: its key in the audio corpus and the transcript the STT reports."""

    key: str
    text: str


@dataclass(frozen=True)
class Turn:
    kind: TurnKind
    phrases: tuple[Phrase, ...]
    """plain: (sentence,); comma: (first half, second half); barge: (question, interruption)."""


PHRASES: dict[str, str] = {
    "order": "I would like to check the status of my order.",
    "arrive": "Can you tell me when my package will arrive?",
    "hours": "What are your opening hours on the weekend?",
    "table_a": "I need to book a table,",
    "table_b": "for four people at seven tonight.",
    "parking": "Is there parking near the restaurant?",
    "menu": "Do you have a vegetarian menu?",
    "barge": "Hold on, what about Sunday?",
    "delivery_a": "And could you deliver it,",
    "delivery_b": "to my office on Main Street?",
}


def _p(key: str) -> Phrase:
    return Phrase(key, PHRASES[key])


CYCLE: tuple[Turn, ...] = (
    Turn("plain", (_p("order"),)),
    Turn("comma", (_p("table_a"), _p("table_b"))),
    Turn("barge", (_p("hours"), _p("barge"))),
    Turn("plain", (_p("arrive"),)),
    Turn("comma", (_p("delivery_a"), _p("delivery_b"))),
    Turn("plain", (_p("parking"),)),
    Turn("barge", (_p("menu"), _p("barge"))),
)

TRANSCRIPTS: tuple[str, ...] = tuple(p.text for turn in CYCLE for p in turn.phrases)
"""The n-th utterance a caller finalizes, cycling (so the script never runs dry)."""


def transcript_for(index: int) -> str:
    return TRANSCRIPTS[index % len(TRANSCRIPTS)]


def turn(index: int) -> Turn:
    return CYCLE[index % len(CYCLE)]
