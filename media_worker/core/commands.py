"""Intents the call loop asks the runtime to carry out, named in the imperative.

The runtime executes the commands of one step in list order before it feeds
the next fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .events import EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class LogTransition:
    """Log a state change as one structured JSON line."""

    call_id: str
    from_state: str
    to_state: str
    at_ms: float
    cause: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthesizeClause:
    """Push text into the TTS context of ``response_id`` (open it on first use)."""

    response_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FinishSpeech:
    """No more text for ``response_id``: flush its TTS context; report :class:`TtsFinished` when done."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StartResponse:
    """Start a streaming LLM request; ``messages`` and ``tools`` are OpenAI chat-completions shaped."""

    response_id: str
    messages: tuple[dict[str, Any], ...]
    tools: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Interrupt:
    """Stop talking now, as one action at the edge.

    The runtime flushes the outbound lane (audio and marks not yet sent),
    sends the carrier ``clear``, and cancels the LLM stream and TTS context of
    every id in ``response_ids``. The context was already truncated to
    ``heard_text`` inside the core.
    """

    response_ids: tuple[str, ...]
    heard_text: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelResponse:
    """Cancel the LLM stream and TTS context of a response, without clearing playback."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMark:
    """Put a mark on the outbound lane, after everything enqueued so far.

    When the carrier echoes it, feed :class:`PlaybackMarked` with the same name.
    """

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayFallbackApology:
    """TTS is down: enqueue the pre-rendered apology clip on the outbound lane."""

    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeTool:
    """Call a webhook tool; report :class:`ToolResultReceived` (an ``outcome="timeout"`` after ``timeout_ms``)."""

    tool_call_id: str
    name: str
    arguments_json: str
    timeout_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StartTimer:
    """Arm (or re-arm, replacing the old one) the timer ``name``; feed :class:`TimerFired` when due."""

    name: str
    delay_ms: float
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTimer:
    """Disarm the timer ``name`` if armed."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferCall:
    """Transfer the caller to ``destination`` (E.164); the call then ends with reason ``transferred``."""

    destination: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EndCall:
    """Hang up (if the carrier is still there), close every provider stream and publish ``call.ended``."""

    reason: EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSpan:
    """A per-turn latency milestone; the runtime logs it and emits EMF."""

    turn_index: int
    name: str
    at_ms: float
    response_id: str | None = None


Command = (
    LogTransition
    | SynthesizeClause
    | FinishSpeech
    | StartResponse
    | Interrupt
    | CancelResponse
    | SendMark
    | PlayFallbackApology
    | InvokeTool
    | StartTimer
    | CancelTimer
    | TransferCall
    | EndCall
    | RecordSpan
)
"""Every intent the call loop emits."""
