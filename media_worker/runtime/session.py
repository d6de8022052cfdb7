"""One call: the pure ``CallLoop`` driven by one control queue, with its lanes and providers.

Lanes (see ``core/__init__``): caller audio goes from the carrier reader straight to the
:class:`SttLane`; every fact (STT, LLM, TTS, timers, tools, carrier marks/DTMF/stop) goes on
``_inbox`` and is fed to the core one at a time, and the commands of each step are executed in
order before the next fact; TTS audio goes to the :class:`OutboundLane`, the only queue that is
ever flushed.

``run()``: pre-warm STT, TTS and LLM concurrently, feed ``StreamStarted`` (the greeting plays at
once), loop until the core says ``EndCall``, then tear down and publish ``call.ended``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from media_worker.core import (
    AudioFramesSent,
    CallConfig,
    CallLoop,
    CarrierStreamStopped,
    DtmfReceived,
    EndCall,
    EndReason,
    Event,
    HangupRequested,
    PlaybackMarked,
    RecordSpan,
    StreamStarted,
    TtsAudioReceived,
)
from media_worker.providers import LanguageModel, SpeechToText, TextToSpeech
from switchboard.errors import ProviderError
from switchboard.events import CallEnded
from switchboard.models import Assistant

from .apology import ApologyClips
from .call_compliance import CallCompliance
from .call_control import CallControl, CarrierCall
from .executor import CommandExecutor, ExecutorDeps, Input, TtsChunk
from .failover import CallFailover
from .latency import SpanBook, TurnLatency
from .logs import CallLogger, monotonic_ms
from .outbound import CarrierSink, OutboundLane
from .outcome import CallIdentity, CallStore, build_call_ended
from .stt_lane import SttLane
from .timers import TimerWheel
from .tools import ToolCallContext, ToolInvoker, ToolRunner

DRAIN_MARK = "drain@end"
PROVIDER_CLOSE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class CallProviders:
    stt: SpeechToText
    llm: LanguageModel
    tts: TextToSpeech
    new_stt: Callable[[], SpeechToText] | None = None
    """Builds a fresh STT stream for reconnects (None: no reconnect)."""
    failover: CallFailover | None = None
    """The call's failover policy state, when the assistant names secondaries (``runtime.failover``)."""


class CarrierConnection(CarrierSink, Protocol):
    """The carrier side the session needs: the sink plus hanging up the stream."""

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class SessionServices:
    """Worker-wide collaborators, shared by every call."""

    store: CallStore
    publish: Callable[[CallEnded], None]
    tool_invoker: ToolInvoker
    call_control: CallControl
    apology: ApologyClips
    on_turn_latency: Callable[[str, TurnLatency], None] = lambda call_id, latency: None
    clock_ms: Callable[[], float] = monotonic_ms


class CallSession:
    def __init__(
        self,
        identity: CallIdentity,
        assistant: Assistant,
        providers: CallProviders,
        carrier: CarrierConnection,
        services: SessionServices,
        compliance: CallCompliance | None = None,
    ) -> None:
        self.identity = identity
        self.assistant = assistant
        self.providers = providers
        self.carrier = carrier
        self.services = services
        self.log = CallLogger(identity.call_id)
        self.loop = CallLoop(identity.call_id, CallConfig.from_assistant(assistant))
        self.spans = SpanBook()
        self.started_at = datetime.now(UTC)
        self.end_reason: EndReason | None = None
        self.ended = asyncio.Event()
        self._inbox: asyncio.Queue[Input] = asyncio.Queue()
        self._background: set[asyncio.Task[None]] = set()
        self._drain_played = asyncio.Event()
        self._in_progress: asyncio.Task[None] | None = None
        clock = services.clock_ms
        self.compliance = compliance or CallCompliance.unmanaged(identity, assistant)
        self.lane = OutboundLane(self.compliance.outbound_sink(carrier), clock_ms=clock,
                                 on_first_frame=self._first_frame)  # fmt: skip
        failover = providers.failover
        if failover is not None:
            failover.bind(self.log)
        stt_deliver = self.compliance.stt_deliver(self.deliver, lambda: self.loop.state.transcript)
        self.stt = SttLane(providers.stt, deliver=stt_deliver, clock_ms=clock, log=self.log,
                           reconnect=providers.new_stt, failover=failover.stt if failover else None,
                           on_final=self.compliance.stt_final)  # fmt: skip
        self.timers = TimerWheel(self.deliver, clock)
        tools = ToolRunner(
            invoker=services.tool_invoker,
            definitions={t.name: t for t in assistant.tools},
            context=ToolCallContext(identity.call_id, identity.tenant_id, identity.from_number),
            deliver=self.deliver,
            clock_ms=clock,
            on_result=lambda request, name, result: self.log.info(
                "tool result", tool=name, outcome=result.outcome, latency_ms=round(result.latency_ms, 1)
            ),
        )
        self.executor = CommandExecutor(
            ExecutorDeps(
                llm=providers.llm,
                tts=providers.tts,
                lane=self.lane,
                timers=self.timers,
                tools=tools,
                call_control=services.call_control,
                carrier_call=CarrierCall(
                    identity.carrier, identity.carrier_call_id, identity.call_id, identity.tenant_id
                ),
                deliver=self.deliver,
                clock_ms=clock,
                log=self.log,
                apology_clip=lambda: services.apology.clip(self._apology_key()),
                on_span=self._span,
                on_end=self._on_end,
            )
        )

    # -- the carrier reader's side (never blocks) ---------------------------------------------

    def deliver(self, item: Input) -> None:
        self._inbox.put_nowait(item)

    def on_media(self, audio: bytes) -> None:
        self.compliance.caller_audio(audio)
        self.stt.push(audio)

    def on_mark(self, name: str) -> None:
        self.deliver(PlaybackMarked(now_ms=self.services.clock_ms(), name=name))

    def on_dtmf(self, digit: str) -> None:
        self.deliver(DtmfReceived(now_ms=self.services.clock_ms(), digit=digit))

    def on_stopped(self) -> None:
        self.deliver(CarrierStreamStopped(now_ms=self.services.clock_ms()))

    def hang_up(self, reason: EndReason = "worker_draining") -> None:
        self.deliver(HangupRequested(now_ms=self.services.clock_ms(), reason=reason))

    # -- lifecycle ----------------------------------------------------------------------------

    async def run(self, stream_started_ms: float) -> None:
        """The whole call; returns once ``call.ended`` is published (or queued for retry)."""
        self.log.info("call started", carrier=self.identity.carrier, assistant_id=self.identity.assistant_id)
        self._in_progress = asyncio.create_task(self._mark_in_progress_task(), name="mark-in-progress-task")
        self.lane.start()
        try:
            if await self.compliance.refuse(self.carrier):
                self.end_reason = "provider_error"
                return
            self.compliance.start(stream_started_ms)
            await self._prewarm()
            self.stt.start()
            self.deliver(StreamStarted(now_ms=stream_started_ms))
            await self._control_task()
        finally:
            await self._teardown()

    async def say_goodbye_and_end(self, text: str, timeout_s: float = 8.0) -> None:
        """Worker draining: stop whatever is playing, say ``text``, then end the call."""
        if self.loop.ended:
            return
        self.executor.muted = True
        await self.lane.flush()
        await self.executor.cancel(tuple({*self.executor.llm_tasks, *self.executor.utterances}))
        try:
            utterance = self.providers.tts.start_utterance("drain")
            await utterance.push(text)
            await utterance.finish()
            async with asyncio.timeout(timeout_s):
                async for audio in utterance.audio():
                    self.lane.enqueue_audio("drain", audio)
                self.lane.enqueue_mark(DRAIN_MARK)
                await self._drain_played.wait()
        except (ProviderError, TimeoutError) as error:
            self.log.warning("drain goodbye not played", error=type(error).__name__)
        self.hang_up("worker_draining")

    async def _prewarm(self) -> None:
        async def stt() -> None:
            await self.stt.connect()

        async def llm() -> None:
            # The LLM's HTTP client and pool are process-wide (built at start-up, kept alive across
            # calls), so there is nothing per call to open; a model with its own warm-up hook gets it.
            warm = getattr(self.providers.llm, "connect", None)
            if warm is not None:
                await warm()

        started = self.services.clock_ms()
        results = await asyncio.gather(stt(), self.providers.tts.connect(), llm(), return_exceptions=True)
        for name, result in zip(("stt", "tts", "llm"), results, strict=True):
            if isinstance(result, ProviderError):
                self.log.warning("pre-warm failed", stage=name, provider=result.provider)
            elif isinstance(result, BaseException):
                raise result
        self.log.info("providers warm", ms=round(self.services.clock_ms() - started, 1))
        key = self._apology_key()
        if results[1] is None and self.services.apology.needs_render(key):
            self._spawn(self.services.apology.render_task(self.providers.tts, key, "apology-prerender"), "apology-task")

    async def _control_task(self) -> None:
        while not self.loop.ended:
            item = await self._inbox.get()
            if isinstance(item, TtsChunk):
                if not self.executor.accepts_audio(item.response_id):
                    continue
                self.lane.enqueue_audio(item.response_id, item.audio)
                event: Event = TtsAudioReceived(now_ms=self.services.clock_ms(), response_id=item.response_id,
                                                duration_ms=len(item.audio) / 8.0)  # fmt: skip
            else:
                event = item
            if isinstance(event, PlaybackMarked) and event.name == DRAIN_MARK:
                self._drain_played.set()
                continue
            self.loop.receive(event)
            for command in self.loop.commands_to_execute():
                try:
                    await self.executor.execute(command)
                except Exception:  # one failing command must not kill the call
                    self.log.error("command failed", command=type(command).__name__, exc_info=True)

    async def _teardown(self) -> None:
        ended_at = datetime.now(UTC)
        self.timers.close()
        await self.executor.aclose()
        await self.lane.aclose()
        with contextlib.suppress(Exception):
            await self.carrier.close(1000, "call ended")
        reason: EndReason = self.end_reason or "caller_hung_up"
        if reason != "caller_hung_up":
            try:
                await self.services.call_control.hangup(self.executor.deps.carrier_call)
            except Exception:
                self.log.warning("carrier hang-up failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PROVIDER_CLOSE_TIMEOUT_S):
                await asyncio.gather(self.stt.aclose(), self.providers.tts.aclose(), return_exceptions=True)
        artifacts = await self.compliance.finish(self.loop.state, ended_at=ended_at)
        event = build_call_ended(self, ended_at=ended_at, reason=reason, artifacts=artifacts)
        self.services.publish(event)
        self.log.info("call ended", reason=reason, turns=len(event.transcript),
                      call_seconds=round(event.usage.call_seconds, 2))  # fmt: skip
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._in_progress is not None:
            await asyncio.gather(self._in_progress, return_exceptions=True)
        try:
            await self.services.store.mark_ended(self.identity, ended_at=ended_at, end_reason=reason)
        except Exception:
            self.log.warning("could not mark the call ended", exc_info=True)
        await self.compliance.aclose()
        self.ended.set()

    # -- hooks --------------------------------------------------------------------------------

    def _first_frame(self, response_id: str) -> None:
        self.deliver(AudioFramesSent(now_ms=self.services.clock_ms(), response_id=response_id, frames=1))

    def _span(self, span: RecordSpan) -> None:
        self.log.info("span", turn=span.turn_index, span=span.name, at_ms=round(span.at_ms, 1),
                      response_id=span.response_id)  # fmt: skip
        latency = self.spans.record(span.turn_index, span.name, span.at_ms)
        if latency is not None:
            stages = {k: round(v, 1) for k, v in latency.stages_ms.items()}
            v2v = round(latency.voice_to_voice_ms, 1)
            self.log.info("turn latency", turn=latency.turn_index, voice_to_voice_ms=v2v, stages_ms=stages)
            self.services.on_turn_latency(self.identity.call_id, latency)

    def _on_end(self, command: EndCall) -> None:
        self.end_reason = command.reason

    def _apology_key(self) -> tuple[str, str, str, str]:
        tts = self.assistant.tts
        return (tts.voice.id, tts.model, self.assistant.language, self.loop.state.config.phrases.apology)

    async def _mark_in_progress_task(self) -> None:
        try:
            if not await self.services.store.mark_in_progress(self.identity):
                self.log.warning("call record not marked in progress (unknown, already started or ended)")
        except Exception:
            self.log.warning("could not mark the call in progress", exc_info=True)

    def _spawn(self, coro: object, name: str) -> None:
        assert asyncio.iscoroutine(coro)
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
