"""The call loop's state: immutable values, advanced only by ``step``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from .clauses import ClauseSplitter
from .config import CallConfig
from .context import Conversation, ToolCall
from .events import EndReason, TimedWord, ToolOutcome


class Phase(StrEnum):
    CONNECTING = "connecting"
    GREETING = "greeting"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    TOOL = "tool"
    ENDED = "ended"


class SpeechKind(StrEnum):
    GREETING = "greeting"
    REPLY = "reply"
    FILLER = "filler"
    IDLE_PROMPT = "idle_prompt"
    APOLOGY = "apology"
    GOODBYE = "goodbye"


IN_CONTEXT_KINDS = frozenset({SpeechKind.GREETING, SpeechKind.REPLY, SpeechKind.IDLE_PROMPT, SpeechKind.APOLOGY})
"""Speech the LLM should see as its own words (fillers never: they would split a tool round)."""


@dataclass(frozen=True, slots=True)
class Speech:
    """One outbound utterance: the text sent to one TTS context and the audio it produced.

    Only one speech synthesises at a time, so the outbound lane holds their
    audio in order; a later speech keeps its text in ``held`` until the one
    before it has all its audio.
    """

    response_id: str
    kind: SpeechKind
    created_at_ms: float
    turn_index: int = 0
    segments: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    finish_requested: bool = False
    finish_sent: bool = False
    released: bool = True
    tts_done: bool = False
    audio_ms: float = 0.0
    sent_marks_ms: tuple[float, ...] = ()
    echoed_ms: float = 0.0
    echoed_at_ms: float | None = None
    first_sent_at_ms: float | None = None
    words: tuple[TimedWord, ...] = ()
    fallback_clip: bool = False

    @property
    def text(self) -> str:
        return "".join(self.segments + self.held).strip()

    @property
    def audible(self) -> bool:
        return self.first_sent_at_ms is not None


@dataclass(frozen=True, slots=True)
class Response:
    """One LLM request in flight."""

    response_id: str
    turn_index: int
    splitter: ClauseSplitter
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    completed: bool = False


@dataclass(frozen=True, slots=True)
class PendingTool:
    call: ToolCall
    started_at_ms: float
    result_json: str | None = None
    outcome: ToolOutcome | None = None
    finished_at_ms: float | None = None


@dataclass(frozen=True, slots=True)
class ToolRound:
    """The webhook tool calls of one LLM response, awaiting results."""

    response_id: str
    turn_index: int
    tools: tuple[PendingTool, ...]
    filler_spoken: bool = False

    @property
    def complete(self) -> bool:
        return all(t.outcome is not None for t in self.tools)


@dataclass(frozen=True, slots=True)
class CallerTurn:
    """What the caller has said since their turn began."""

    finals: tuple[str, ...] = ()
    interim: str = ""
    started_at_ms: float | None = None
    speech_started_at_ms: float | None = None
    last_voice_at_ms: float | None = None
    last_word_end_s: float | None = None
    dtmf: str = ""

    @property
    def text(self) -> str:
        return " ".join(p for p in (*self.finals, self.interim) if p.strip()).strip()

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.dtmf


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    tool_call_id: str
    name: str
    outcome: ToolOutcome
    latency_ms: float


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One transcript entry; maps 1:1 onto ``switchboard.models.Turn`` (offsets from stream start)."""

    role: Literal["caller", "assistant"]
    text: str
    start_ms: float
    end_ms: float
    interrupted: bool = False
    heard_text: str | None = None
    tool_calls: tuple[ToolCallRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    llm_input_tokens: int = 0
    llm_output_tokens: int = 0
    tts_characters: int = 0


@dataclass(frozen=True, slots=True)
class Ending:
    """The call ends once the goodbye (or transfer announcement) has played."""

    reason: EndReason
    transfer_to: str | None = None


@dataclass(frozen=True, slots=True)
class CallState:
    call_id: str
    config: CallConfig
    phase: Phase = Phase.CONNECTING
    started_at_ms: float = 0.0
    context: Conversation = field(default_factory=Conversation)
    caller: CallerTurn = field(default_factory=CallerTurn)
    committed_until_s: float = -1.0
    """STT time of the last word already committed to a turn; older results are late duplicates."""
    response: Response | None = None
    fold_on_resume: bool = False
    """The context ends with the caller's committed turn and no reply was audible yet:
    if the caller goes on talking, that turn is reopened rather than answered."""
    speeches: tuple[Speech, ...] = ()
    tool_round: ToolRound | None = None
    transcript: tuple[TurnRecord, ...] = ()
    pending_tool_records: tuple[ToolCallRecord, ...] = ()
    usage: Usage = field(default_factory=Usage)
    turn_index: int = 0
    response_seq: int = 0
    timers: Mapping[str, int] = field(default_factory=dict)
    timer_seq: int = 0
    spans: frozenset[tuple[int, str]] = frozenset()
    idle_prompted: bool = False
    ending: Ending | None = None
    end_reason: EndReason | None = None
    dtmf_log: tuple[str, ...] = ()
    ended_at_ms: float | None = None

    def speech(self, response_id: str) -> Speech | None:
        return next((s for s in self.speeches if s.response_id == response_id), None)

    @property
    def audible(self) -> bool:
        """Has the caller possibly heard audio that is still playing?"""
        return any(s.audible for s in self.speeches)


def new_call(call_id: str, config: CallConfig) -> CallState:
    """The state of a call whose stream has not started yet."""
    return CallState(call_id=call_id, config=config, context=Conversation.start(config.system_prompt))
