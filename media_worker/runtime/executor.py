"""Carries out the core's commands for one call, against the Protocols (never an SDK directly).

Everything slow runs in tasks and reports back as facts through ``deliver`` (the session's
control queue): the LLM stream (``llm_task`` per response id), TTS audio (``tts_audio_task``
per response id) and tools. Executing a command itself only enqueues, sends a small message,
or starts/cancels a task, so the control loop never waits on a provider.

TTS audio comes back as a runtime-internal :class:`TtsChunk`; the session puts it on the
outbound lane and *then* feeds ``TtsAudioReceived``, so the ``SendMark`` the core answers with
lands exactly behind that audio.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from media_worker.core import (
    CancelResponse,
    CancelTimer,
    Command,
    EndCall,
    Event,
    FinishSpeech,
    Interrupt,
    InvokeTool,
    LlmFailed,
    LlmResponseCompleted,
    LlmTextReceived,
    LlmToolCallRequested,
    LogTransition,
    PlayFallbackApology,
    RecordSpan,
    SendMark,
    StartResponse,
    StartTimer,
    SynthesizeClause,
    TransferCall,
    TtsFailed,
    TtsFinished,
)
from media_worker.providers import (
    Finished,
    LanguageModel,
    TextDelta,
    TextToSpeech,
    ToolCallRequested,
    TtsUtterance,
    Usage,
)
from switchboard.errors import ProviderError

from .call_control import CallControl, CallControlError, CarrierCall
from .logs import CallLogger
from .outbound import OutboundLane
from .timers import TimerWheel
from .tools import ToolRunner


@dataclass(frozen=True, slots=True)
class TtsChunk:
    """TTS audio for a response; the session enqueues it, then feeds ``TtsAudioReceived``."""

    response_id: str
    audio: bytes


Input = Event | TtsChunk


@dataclass
class ExecutorDeps:
    llm: LanguageModel
    tts: TextToSpeech
    lane: OutboundLane
    timers: TimerWheel
    tools: ToolRunner
    call_control: CallControl
    carrier_call: CarrierCall
    deliver: Callable[[Input], None]
    clock_ms: Callable[[], float]
    log: CallLogger
    apology_clip: Callable[[], bytes]
    on_span: Callable[[RecordSpan], None] = lambda span: None
    on_end: Callable[[EndCall], None] = lambda command: None


@dataclass
class CommandExecutor:
    deps: ExecutorDeps
    llm_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    utterances: dict[str, TtsUtterance] = field(default_factory=dict)
    tts_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    muted: bool = False
    """Set while the runtime speaks on its own (drain goodbye): new speech and LLM requests are dropped."""

    def accepts_audio(self, response_id: str) -> bool:
        return response_id not in self.cancelled and not self.deps.lane.closed

    async def execute(self, command: Command) -> None:
        d = self.deps
        match command:
            case SendMark():
                d.lane.enqueue_mark(command.name)
            case SynthesizeClause():
                await self._synthesize(command.response_id, command.text)
            case FinishSpeech():
                await self._finish(command.response_id)
            case StartResponse():
                self._start_response(command)
            case Interrupt():
                dropped = await d.lane.flush()
                await self.cancel(command.response_ids)
                d.log.info("interrupted", reason=command.reason, responses=list(command.response_ids),
                           dropped_frames=dropped, heard_chars=len(command.heard_text))  # fmt: skip
            case CancelResponse():
                await self.cancel((command.response_id,))
            case PlayFallbackApology():
                d.lane.enqueue_audio(command.response_id, d.apology_clip())
            case InvokeTool():
                d.tools.start(command)
            case StartTimer():
                d.timers.start(command.name, command.delay_ms, command.generation)
            case CancelTimer():
                d.timers.cancel(command.name)
            case TransferCall():
                self._spawn(self._transfer_task(command.destination), "transfer-task")
            case EndCall():
                d.timers.close()
                d.on_end(command)
            case LogTransition():
                d.log.info("transition", from_state=command.from_state, to_state=command.to_state,
                           at_ms=round(command.at_ms, 1), cause=command.cause)  # fmt: skip
            case RecordSpan():
                d.on_span(command)

    async def cancel(self, response_ids: tuple[str, ...]) -> None:
        """Stop the LLM stream and TTS context of each response; their late output is dropped."""
        for response_id in response_ids:
            self.cancelled.add(response_id)
            task = self.llm_tasks.pop(response_id, None)
            if task is not None:
                task.cancel()
            utterance = self.utterances.pop(response_id, None)
            if utterance is not None:
                with contextlib.suppress(ProviderError):
                    await utterance.cancel()
            pump = self.tts_tasks.pop(response_id, None)
            if pump is not None:
                pump.cancel()

    async def aclose(self) -> None:
        await self.cancel(tuple({*self.llm_tasks, *self.utterances, *self.tts_tasks}))
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.deps.tools.aclose()

    # -- LLM ----------------------------------------------------------------------------------

    def _start_response(self, command: StartResponse) -> None:
        if self.muted:
            return
        task = asyncio.create_task(self._llm_task(command), name=f"llm-task-{command.response_id}")
        self.llm_tasks[command.response_id] = task

    async def _llm_task(self, command: StartResponse) -> None:
        d, rid = self.deps, command.response_id
        usage = Usage(0, 0)
        try:
            async for event in d.llm.stream(command.messages, command.tools):
                if isinstance(event, TextDelta):
                    d.deliver(LlmTextReceived(now_ms=d.clock_ms(), response_id=rid, text=event.text))
                elif isinstance(event, ToolCallRequested):
                    d.deliver(LlmToolCallRequested(now_ms=d.clock_ms(), response_id=rid, tool_call_id=event.id,
                                                   name=event.name, arguments_json=event.arguments_json))  # fmt: skip
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finished):
                    break
            completed = LlmResponseCompleted(
                now_ms=d.clock_ms(), response_id=rid, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
            )
            d.deliver(completed)
        except ProviderError as error:
            d.log.warning("llm failed", response_id=rid, provider=error.provider, retryable=error.retryable)
            d.deliver(LlmFailed(now_ms=d.clock_ms(), response_id=rid, reason=str(error)))
        finally:
            if self.llm_tasks.get(rid) is asyncio.current_task():
                del self.llm_tasks[rid]

    # -- TTS ----------------------------------------------------------------------------------

    async def _synthesize(self, response_id: str, text: str) -> None:
        if response_id in self.cancelled or (self.muted and response_id not in self.utterances):
            return
        utterance = self._utterance(response_id)
        if utterance is None:
            return
        try:
            await utterance.push(text)
        except ProviderError as error:
            self._tts_failed(response_id, error)

    async def _finish(self, response_id: str) -> None:
        if response_id in self.cancelled:
            return
        utterance = self.utterances.get(response_id)
        if utterance is None:
            # nothing was ever synthesised for it: it is finished as it is
            self.deps.deliver(TtsFinished(now_ms=self.deps.clock_ms(), response_id=response_id))
            return
        try:
            await utterance.finish()
        except ProviderError as error:
            self._tts_failed(response_id, error)

    def _utterance(self, response_id: str) -> TtsUtterance | None:
        utterance = self.utterances.get(response_id)
        if utterance is not None:
            return utterance
        try:
            utterance = self.deps.tts.start_utterance(response_id)
        except ProviderError as error:
            self._tts_failed(response_id, error)
            return None
        self.utterances[response_id] = utterance
        self.tts_tasks[response_id] = asyncio.create_task(
            self._tts_audio_task(response_id, utterance), name=f"tts-audio-task-{response_id}"
        )
        return utterance

    async def _tts_audio_task(self, response_id: str, utterance: TtsUtterance) -> None:
        d = self.deps
        try:
            async for audio in utterance.audio():
                d.deliver(TtsChunk(response_id, audio))
            if response_id not in self.cancelled:
                d.deliver(TtsFinished(now_ms=d.clock_ms(), response_id=response_id))
        except ProviderError as error:
            self._tts_failed(response_id, error)
        finally:
            self.utterances.pop(response_id, None)
            if self.tts_tasks.get(response_id) is asyncio.current_task():
                del self.tts_tasks[response_id]

    def _tts_failed(self, response_id: str, error: ProviderError) -> None:
        if response_id in self.cancelled:
            return
        self.cancelled.add(response_id)
        self.deps.log.warning("tts failed", response_id=response_id, provider=error.provider)
        self.deps.deliver(TtsFailed(now_ms=self.deps.clock_ms(), response_id=response_id, reason=str(error)))

    # -- call control -------------------------------------------------------------------------

    async def _transfer_task(self, destination: str) -> None:
        try:
            await self.deps.call_control.transfer(self.deps.carrier_call, destination)
            self.deps.log.info("transferred", destination_suffix=destination[-4:])
        except CallControlError as error:
            self.deps.log.warning("transfer failed", error=str(error))

    def _spawn(self, coro: object, name: str) -> None:
        assert asyncio.iscoroutine(coro)
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
