"""``--providers fakes``: Deepgram, OpenAI and Cartesia as the local wire-level fakes (``fakes/``).

The worker's real SDK adapters talk to them over real sockets, so every layer runs with no keys and
no models (CI). What is scripted, honestly:

- STT: :class:`~fakes.FakeDeepgram` finds speech in the audio (energy VAD) and returns the caller's
  scripted line for each utterance, in order: the words are known, not recognised;
- LLM: :func:`agent_reply`, a rule-based support agent behind :class:`~fakes.FakeOpenAI` that asks
  for an email, calls ``create_support_ticket`` when a ticket is asked for (the summary comes from the
  caller's own words), reads the ticket id back from the tool result, and ends the call on goodbye;
  post-call analysis requests get a structured answer built from the transcript;
- TTS: :class:`~fakes.FakeCartesia` sends an audible buzz as long as the text would take to say;
- the caller's voice: :class:`SpeechLikeVoice`, speech-shaped noise as long as the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply, ToolCall, ToolCallsReply, json_reply
from fakes.audio import speech_like_mulaw
from fakes.openai import ChatRequest, Reply

API_KEYS = {"deepgram": "test-deepgram-key", "openai": "test-openai-key", "cartesia": "test-cartesia-key"}
PROBLEM_WORDS = ("broken", "not work", "won't", "will not", "down", "jam", "error", "problem", "issue")


class SpeechLikeVoice:
    """The caller's 'voice' with the fakes: speech-shaped noise, ~65 ms per character of the line."""

    def synthesize(self, text: str) -> bytes:
        return speech_like_mulaw(max(0.6, 0.065 * len(text)), seed=len(text))


def _user_lines(request: ChatRequest) -> list[str]:
    return [str(m.get("content") or "") for m in request.messages if m.get("role") == "user"]


def _problem(lines: Sequence[str]) -> str:
    for line in lines:
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            if any(word in sentence.lower() for word in PROBLEM_WORDS):
                return sentence.strip().rstrip(".!?")
    return lines[0].strip().rstrip(".!?") if lines else "Caller asked for help"


def _analysis(request: ChatRequest) -> Reply:
    text = " ".join(str(m.get("content") or "") for m in request.messages)
    ticket = re.search(r"T-\d+", text)
    summary = "The caller reported a problem"
    if ticket:
        summary += f"; support ticket {ticket.group(0)} was opened."
    return json_reply({"summary": summary, "sentiment_label": "positive", "sentiment_score": 0.4,
                       "disposition": "resolved", "success": True, "success_reason": "a ticket was opened",
                       "structured_data": {}})  # fmt: skip


def agent_reply(request: ChatRequest) -> Reply:
    """The scripted support agent (see module doc)."""
    if request.response_format is not None:
        return _analysis(request)
    messages = request.messages
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        try:
            ticket = json.loads(str(last.get("content") or "{}")).get("ticket_id", "")
        except (ValueError, AttributeError):
            ticket = ""
        return TextReply(f"Done. I've opened ticket {ticket} for you. Is there anything else?" if ticket
                         else "Sorry, I couldn't open the ticket just now. Anything else?")  # fmt: skip
    lines = _user_lines(request)
    said = lines[-1].lower() if lines else ""
    if "bye" in said:
        return ToolCallsReply([ToolCall("end_call", {})])
    if "ticket" in said:
        return ToolCallsReply([ToolCall("create_support_ticket", {"summary": _problem(lines), "priority": "medium"})])
    if "email" in said or "@" in said:
        return TextReply("Thanks, I've noted your email. Shall I open a ticket?")
    return TextReply("I'm sorry to hear that. I can open a support ticket for you.")


@dataclass
class RunningFakes:
    deepgram: FakeDeepgram
    openai: FakeOpenAI
    cartesia: FakeCartesia

    def worker_env(self) -> dict[str, str]:
        return {
            "DEEPGRAM_API_KEY": API_KEYS["deepgram"], "DEEPGRAM_WS_URL": self.deepgram.ws_url,
            "DEEPGRAM_HTTP_URL": self.deepgram.http_url, "OPENAI_API_KEY": API_KEYS["openai"],
            "OPENAI_BASE_URL": self.openai.base_url, "CARTESIA_API_KEY": API_KEYS["cartesia"],
            "CARTESIA_BASE_URL": self.cartesia.http_url, "CARTESIA_WS_URL": self.cartesia.ws_url,
        }  # fmt: skip


@contextmanager
def running_fakes(caller_lines: Sequence[str]) -> Iterator[RunningFakes]:
    """The three fakes, each on its own loop thread; Deepgram scripted with ``caller_lines``."""
    with ExitStack() as stack:
        deepgram = stack.enter_context(FakeDeepgram(script=list(caller_lines), final_latency_ms=150).in_thread())
        openai = stack.enter_context(FakeOpenAI(default_reply=agent_reply).in_thread())
        cartesia = stack.enter_context(FakeCartesia(ms_per_char=30.0, ttfb_ms=80).in_thread())
        yield RunningFakes(deepgram, openai, cartesia)
