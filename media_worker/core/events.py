"""Facts the runtime feeds into the call loop.

Every fact is a frozen, keyword-only dataclass named in the past tense and
carries ``now_ms``: the runtime's monotonic clock in milliseconds at the time
the fact was observed. The core never reads a clock itself.

Caller audio never passes through the core: the runtime forwards it straight
to the speech-to-text lane. The core only sees what the STT made of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ToolOutcome = Literal["ok", "error", "timeout", "invalid_arguments", "blocked"]
"""How a tool call ended; the same values as ``switchboard.models.ToolCallSummary.outcome``."""

EndReason = Literal[
    "caller_hung_up",
    "assistant_ended",
    "idle_timeout",
    "max_duration",
    "transferred",
    "provider_error",
    "worker_draining",
]
"""Why the call loop ended a call; a subset of ``switchboard.models.call.EndReason``."""


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word; times are seconds from the start of the STT stream."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class TimedWord:
    """One synthesised word; ``end_ms`` is its end offset within the response's audio."""

    text: str
    end_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamStarted:
    """The carrier stream started; caller audio flows to the STT from now on."""

    now_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerSpeechStarted:
    """The STT's voice activity detector heard speech start (may be noise)."""

    now_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptUpdated:
    """An STT result for the current segment.

    ``is_final`` freezes the segment's text (the next result starts a new
    segment); ``speech_final`` also says the STT detected the end of an
    utterance (Deepgram endpointing).
    """

    now_ms: float
    text: str
    is_final: bool = False
    speech_final: bool = False
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UtteranceEnded:
    """The STT saw a long gap after the last word (Deepgram ``UtteranceEnd``)."""

    now_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """A timer armed by :class:`~media_worker.core.commands.StartTimer` came due."""

    now_ms: float
    name: str
    generation: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmTextReceived:
    """A fragment of assistant text streamed from the LLM."""

    now_ms: float
    response_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmToolCallRequested:
    """The LLM asked for a tool call; ``arguments_json`` is the complete argument string."""

    now_ms: float
    response_id: str
    tool_call_id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmResponseCompleted:
    """The LLM stream ended normally, with its token usage."""

    now_ms: float
    response_id: str
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmFailed:
    """The LLM request failed (after whatever retries the runtime does)."""

    now_ms: float
    response_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TtsAudioReceived:
    """TTS audio for a response arrived and was put on the outbound lane.

    The runtime must enqueue the audio *before* feeding this fact, so that a
    :class:`~media_worker.core.commands.SendMark` answered to it lands after it.
    """

    now_ms: float
    response_id: str
    duration_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TtsWordsTimed:
    """Optional word timestamps for a response's audio (Cartesia ``timestamps``)."""

    now_ms: float
    response_id: str
    words: tuple[TimedWord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TtsFinished:
    """The TTS produced all audio for a response (Cartesia ``done``)."""

    now_ms: float
    response_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TtsFailed:
    """The TTS failed for a response."""

    now_ms: float
    response_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioFramesSent:
    """The outbound lane sent frames of a response to the carrier."""

    now_ms: float
    response_id: str
    frames: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackMarked:
    """The carrier echoed a mark: the audio before it has played (or was cleared)."""

    now_ms: float
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfReceived:
    """The caller pressed a key."""

    now_ms: float
    digit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResultReceived:
    """A tool call finished; ``result_json`` goes to the LLM as the tool message."""

    now_ms: float
    tool_call_id: str
    result_json: str
    outcome: ToolOutcome = "ok"


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierStreamStopped:
    """The carrier stream ended (``stop``, or the socket closed): the caller is gone."""

    now_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupRequested:
    """Something outside the call (e.g. worker draining) wants the call ended."""

    now_ms: float
    reason: EndReason = "worker_draining"


Event = (
    StreamStarted
    | CallerSpeechStarted
    | TranscriptUpdated
    | UtteranceEnded
    | TimerFired
    | LlmTextReceived
    | LlmToolCallRequested
    | LlmResponseCompleted
    | LlmFailed
    | TtsAudioReceived
    | TtsWordsTimed
    | TtsFinished
    | TtsFailed
    | AudioFramesSent
    | PlaybackMarked
    | DtmfReceived
    | ToolResultReceived
    | CarrierStreamStopped
    | HangupRequested
)
"""Every fact the call loop accepts."""
