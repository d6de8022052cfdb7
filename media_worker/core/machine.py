"""``step(state, event) -> (state, commands)``: the whole call loop as one pure function.

:class:`CallLoop` wraps it the way a sans-I/O protocol object does: the
runtime calls :meth:`CallLoop.receive` with each fact and then executes
:meth:`CallLoop.commands_to_execute` in order.
"""

from __future__ import annotations

from collections.abc import Callable

from . import lifecycle, responses, speech, tools, turns
from .commands import Command
from .config import CallConfig
from .effects import Out, Timer
from .events import (
    AudioFramesSent,
    CallerSpeechStarted,
    CarrierStreamStopped,
    DtmfReceived,
    Event,
    HangupRequested,
    LlmFailed,
    LlmResponseCompleted,
    LlmTextReceived,
    LlmToolCallRequested,
    PlaybackMarked,
    StreamStarted,
    TimerFired,
    ToolResultReceived,
    TranscriptUpdated,
    TtsAudioReceived,
    TtsFailed,
    TtsFinished,
    TtsWordsTimed,
    UtteranceEnded,
)
from .interruptions import on_barge_in_timer
from .state import CallState, Phase, new_call

TimerHandler = Callable[[CallState, Out, float, int], CallState]

TIMER_HANDLERS: dict[str, TimerHandler] = {
    Timer.END_OF_TURN: turns.on_end_of_turn_timer,
    Timer.DTMF: turns.on_dtmf_timer,
    Timer.IDLE: lifecycle.on_idle_timer,
    Timer.MAX_DURATION: lifecycle.on_max_duration,
    Timer.TOOL_SLOW: tools.on_slow_timer,
    Timer.BARGE_IN: on_barge_in_timer,
    Timer.END_GRACE: lifecycle.on_end_grace,
}


def step(state: CallState, event: Event) -> tuple[CallState, list[Command]]:
    """Advance the call by one fact; return the new state and the commands to execute, in order."""
    out: Out = []
    if state.phase == Phase.ENDED:
        return state, out
    s = state
    match event:
        case StreamStarted():
            s = lifecycle.on_stream_started(s, out, event)
        case CallerSpeechStarted():
            s = turns.on_speech_started(s, out, event)
        case TranscriptUpdated():
            s = turns.on_transcript(s, out, event)
        case UtteranceEnded():
            s = turns.on_utterance_end(s, out, event)
        case DtmfReceived():
            s = turns.on_dtmf(s, out, event)
        case TimerFired():
            handler = TIMER_HANDLERS.get(event.name)
            if handler is not None:
                s = handler(s, out, event.now_ms, event.generation)
        case LlmTextReceived():
            s = responses.on_llm_text(s, out, event)
        case LlmToolCallRequested():
            s = responses.on_tool_call(s, event)
        case LlmResponseCompleted():
            s = responses.on_llm_completed(s, out, event)
        case LlmFailed():
            s = responses.on_llm_failed(s, out, event)
        case TtsAudioReceived():
            s = speech.on_tts_audio(s, out, event)
        case TtsWordsTimed():
            s = speech.on_tts_words(s, event)
        case TtsFinished():
            s = speech.on_tts_finished(s, out, event)
        case TtsFailed():
            s = lifecycle.on_tts_failed(s, out, event)
        case AudioFramesSent():
            s = speech.on_frames_sent(s, out, event)
        case PlaybackMarked():
            s = lifecycle.on_mark(s, out, event)
        case ToolResultReceived():
            s = tools.on_tool_result(s, out, event)
        case CarrierStreamStopped():
            s = lifecycle.end_now(s, out, event.now_ms, "caller_hung_up")
        case HangupRequested():
            s = lifecycle.end_now(s, out, event.now_ms, event.reason)
    return s, out


class CallLoop:
    """A sans-I/O holder for one call's state: facts in, commands out.

    It performs no I/O and reads no clock; it only remembers the state and the
    commands not yet taken by the runtime.
    """

    def __init__(self, call_id: str, config: CallConfig) -> None:
        self._state = new_call(call_id, config)
        self._pending: list[Command] = []

    @property
    def state(self) -> CallState:
        return self._state

    @property
    def ended(self) -> bool:
        return self._state.phase == Phase.ENDED

    def receive(self, event: Event) -> None:
        """Feed one fact."""
        self._state, commands = step(self._state, event)
        self._pending.extend(commands)

    def commands_to_execute(self) -> list[Command]:
        """Take the commands produced since the last call, oldest first."""
        commands, self._pending = self._pending, []
        return commands
