"""The pure call loop: ``step(state, event) -> (state, commands)``, plus pure carrier codecs.

Nothing in this package does I/O, reads a clock, or imports asyncio or a
provider SDK (``tests/unit/core/test_purity.py`` enforces it). The asyncio
runtime is a thin shell: it turns what happens into *facts*
(:mod:`.events`), feeds them to :func:`step` (or :class:`CallLoop`), and
executes the *commands* (:mod:`.commands`) that come back, in order, before
feeding the next fact. One call = one state value; facts of one call are fed
one at a time.

Time
    Every fact carries ``now_ms``, the runtime's monotonic clock in ms. The
    core arms timers with ``StartTimer(name, delay_ms, generation)``; a new
    ``StartTimer`` with the same name replaces the old one, ``CancelTimer``
    disarms it. When a timer comes due the runtime feeds
    ``TimerFired(name, generation)``; stale generations are ignored, so a
    race between firing and re-arming is harmless.

Lanes
    Caller audio goes straight from the carrier to the STT; the core never
    sees it. Control facts come in one at a time. TTS audio goes to the
    outbound lane, which paces 20 ms frames (see :mod:`.pacing`) and is the
    only queue ever flushed.

What the runtime feeds
    ``StreamStarted`` once the carrier ``start`` arrived (word timestamps of
    the STT are taken as seconds since then). STT: ``CallerSpeechStarted``,
    ``TranscriptUpdated`` (interim and final, with ``speech_final`` and
    words), ``UtteranceEnded``. LLM: ``LlmTextReceived``,
    ``LlmToolCallRequested`` (complete arguments), ``LlmResponseCompleted``
    (token usage), ``LlmFailed``. TTS: ``TtsAudioReceived`` (after the audio
    is enqueued on the outbound lane), optional ``TtsWordsTimed``,
    ``TtsFinished``, ``TtsFailed``. Outbound lane: ``AudioFramesSent`` (at
    least for the first frames of each response id). Carrier:
    ``PlaybackMarked`` (mark echo), ``DtmfReceived``,
    ``CarrierStreamStopped``. Tools: ``ToolResultReceived`` (the runtime
    enforces ``InvokeTool.timeout_ms`` and reports ``outcome="timeout"``).
    Anything else: ``HangupRequested``.

What the runtime executes
    ``StartResponse`` (stream chat completions; ids are the core's),
    ``SynthesizeClause`` / ``FinishSpeech`` (one TTS context per response
    id, text pushed in order), ``SendMark`` (enqueue a mark on the outbound
    lane *after* everything enqueued so far), ``Interrupt`` (flush the
    outbound lane, send carrier ``clear``, cancel the LLM stream and TTS
    contexts of the listed ids), ``CancelResponse`` (cancel LLM and TTS, no
    clear), ``PlayFallbackApology`` (enqueue a pre-rendered clip; TTS is
    down), ``InvokeTool``, ``StartTimer`` / ``CancelTimer``,
    ``TransferCall``, ``EndCall`` (hang up, close providers, cancel every
    timer, publish ``call.ended`` from :func:`transcript_turns` and
    :func:`call_usage`), ``LogTransition`` and ``RecordSpan`` (log as JSON
    with the call id; spans also as EMF).

Marks and heard text
    The core answers ``TtsAudioReceived`` with ``SendMark`` about every
    ``mark_interval_ms`` of audio, and ``TtsFinished`` with an end mark.
    Mark names are ``"<response_id>@<audio offset ms>"`` and
    ``"<response_id>@end"``; the runtime passes them through verbatim (also
    for the fallback clip, whose frames it reports with ``AudioFramesSent``
    under the clip's id). An
    echoed offset mark is audio the caller heard; the end mark echo means
    the speech played to its end. On an interruption the core cuts the
    assistant's turn (context and transcript) to the text heard up to the
    playback position (see :mod:`.heard`). Marks echoed after an
    ``Interrupt`` (carriers echo marks dropped by ``clear``) are ignored.
    The core never lets two responses synthesise at once, so the lane holds
    their audio in order. After ``Interrupt`` or ``CancelResponse`` the
    runtime drops any audio that still arrives for those ids; the core
    ignores late facts about them.

Minimal runtime loop::

    loop = CallLoop(call_id, CallConfig.from_assistant(assistant))
    loop.receive(StreamStarted(now_ms=clock_ms()))
    for command in loop.commands_to_execute():
        execute(command)          # match on the command classes below
"""

from .clauses import ClauseSplitter
from .codecs import (
    CarrierEvent,
    ConnectedEvent,
    DtmfEvent,
    JitterReorderer,
    MalformedFrame,
    MarkEvent,
    MediaEvent,
    MediaFormat,
    ParseResult,
    SequenceGap,
    SequenceTracker,
    StartEvent,
    StopEvent,
    UnknownEvent,
    telnyx,
    twilio,
)
from .commands import (
    CancelResponse,
    CancelTimer,
    Command,
    EndCall,
    FinishSpeech,
    Interrupt,
    InvokeTool,
    LogTransition,
    PlayFallbackApology,
    RecordSpan,
    SendMark,
    StartResponse,
    StartTimer,
    SynthesizeClause,
    TransferCall,
)
from .config import END_CALL_TOOL, TRANSFER_CALL_TOOL, CallConfig, Phrases, ToolSpec, TurnPolicy
from .context import Conversation, Message, ToolCall
from .effects import Span, Timer
from .endpointing import HoldReason, end_of_turn_delay_ms, hold_reason
from .events import (
    AudioFramesSent,
    CallerSpeechStarted,
    CarrierStreamStopped,
    DtmfReceived,
    EndReason,
    Event,
    HangupRequested,
    LlmFailed,
    LlmResponseCompleted,
    LlmTextReceived,
    LlmToolCallRequested,
    PlaybackMarked,
    StreamStarted,
    TimedWord,
    TimerFired,
    ToolOutcome,
    ToolResultReceived,
    TranscriptUpdated,
    TtsAudioReceived,
    TtsFailed,
    TtsFinished,
    TtsWordsTimed,
    UtteranceEnded,
    Word,
)
from .machine import CallLoop, step
from .pacing import FRAME_BYTES, FRAME_MS, PacingClock, duration_ms, split_frames
from .state import CallState, Phase, SpeechKind, TurnRecord, new_call
from .transcript import CallUsage, call_usage, transcript_turns

__all__ = [
    "END_CALL_TOOL",
    "FRAME_BYTES",
    "FRAME_MS",
    "TRANSFER_CALL_TOOL",
    "AudioFramesSent",
    "CallConfig",
    "CallLoop",
    "CallState",
    "CallUsage",
    "CallerSpeechStarted",
    "CancelResponse",
    "CancelTimer",
    "CarrierEvent",
    "CarrierStreamStopped",
    "ClauseSplitter",
    "Command",
    "ConnectedEvent",
    "Conversation",
    "DtmfEvent",
    "DtmfReceived",
    "EndCall",
    "EndReason",
    "Event",
    "FinishSpeech",
    "HangupRequested",
    "HoldReason",
    "Interrupt",
    "InvokeTool",
    "JitterReorderer",
    "LlmFailed",
    "LlmResponseCompleted",
    "LlmTextReceived",
    "LlmToolCallRequested",
    "LogTransition",
    "MalformedFrame",
    "MarkEvent",
    "MediaEvent",
    "MediaFormat",
    "Message",
    "PacingClock",
    "ParseResult",
    "Phase",
    "Phrases",
    "PlayFallbackApology",
    "PlaybackMarked",
    "RecordSpan",
    "SendMark",
    "SequenceGap",
    "SequenceTracker",
    "Span",
    "SpeechKind",
    "StartEvent",
    "StartResponse",
    "StartTimer",
    "StopEvent",
    "StreamStarted",
    "SynthesizeClause",
    "TimedWord",
    "Timer",
    "TimerFired",
    "ToolCall",
    "ToolOutcome",
    "ToolResultReceived",
    "ToolSpec",
    "TranscriptUpdated",
    "TransferCall",
    "TtsAudioReceived",
    "TtsFailed",
    "TtsFinished",
    "TtsWordsTimed",
    "TurnPolicy",
    "TurnRecord",
    "UnknownEvent",
    "UtteranceEnded",
    "Word",
    "call_usage",
    "duration_ms",
    "end_of_turn_delay_ms",
    "hold_reason",
    "new_call",
    "split_frames",
    "step",
    "telnyx",
    "transcript_turns",
    "twilio",
]
