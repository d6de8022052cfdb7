"""The command executor against in-memory providers: facts come back in order, Interrupt stops everything."""

from __future__ import annotations

import asyncio
import json
import time

from pydantic import AnyHttpUrl

from media_worker.core import (
    CancelResponse,
    FinishSpeech,
    Interrupt,
    InvokeTool,
    LlmFailed,
    LlmResponseCompleted,
    LlmTextReceived,
    PlayFallbackApology,
    SendMark,
    StartResponse,
    SynthesizeClause,
    ToolResultReceived,
    TtsFinished,
)
from media_worker.providers import Finished, TextDelta, Usage
from media_worker.runtime.call_control import CarrierCall, StreamOnlyCallControl
from media_worker.runtime.executor import CommandExecutor, ExecutorDeps, Input, TtsChunk
from media_worker.runtime.logs import CallLogger
from media_worker.runtime.outbound import OutboundLane
from media_worker.runtime.timers import TimerWheel
from media_worker.runtime.tools import ToolCallContext, ToolRequest, ToolResult, ToolRunner
from switchboard.models import ToolDefinition

from .fake_providers import FakeTts, ScriptedLlm
from .test_outbound import RecordingSink

TOOL = ToolDefinition(
    name="lookup", description="Look up an order.", webhook_url=AnyHttpUrl("https://example.com/hook"),
    parameters={"type": "object", "properties": {"order": {"type": "string"}}, "required": ["order"]},
)  # fmt: skip


def clock() -> float:
    return time.monotonic() * 1000.0


class Inbox:
    def __init__(self) -> None:
        self.items: list[Input] = []
        self.changed = asyncio.Event()

    def __call__(self, item: Input) -> None:
        self.items.append(item)
        self.changed.set()

    async def until(self, kind: type, count: int = 1) -> list[Input]:
        async with asyncio.timeout(3):
            while sum(isinstance(i, kind) for i in self.items) < count:
                self.changed.clear()
                await self.changed.wait()
        return [i for i in self.items if isinstance(i, kind)]


class SlowInvoker:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: list[ToolRequest] = []

    async def invoke(self, request: ToolRequest) -> ToolResult:
        self.requests.append(request)
        await asyncio.sleep(self.delay_s)
        return ToolResult(json.dumps({"status": "shipped"}))


def executor(llm: ScriptedLlm, tts: FakeTts, inbox: Inbox, invoker: SlowInvoker | None = None):  # type: ignore[no-untyped-def]
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=clock)
    lane.start()
    tools = ToolRunner(invoker or SlowInvoker(), {"lookup": TOOL}, ToolCallContext("ca_1", "tn_1"), inbox, clock)
    deps = ExecutorDeps(
        llm=llm, tts=tts, lane=lane, timers=TimerWheel(inbox, clock), tools=tools,
        call_control=StreamOnlyCallControl(), carrier_call=CarrierCall("twilio", "CA1", "ca_1", "tn_1"),
        deliver=inbox, clock_ms=clock, log=CallLogger("ca_1"), apology_clip=lambda: b"\x20" * 320,
    )  # fmt: skip
    return CommandExecutor(deps), sink


async def test_an_llm_stream_becomes_text_facts_then_completion_with_usage() -> None:
    inbox = Inbox()
    llm = ScriptedLlm([TextDelta("Hello "), TextDelta("there."), Usage(12, 3), Finished("stop")])
    ex, _ = executor(llm, FakeTts(), inbox)
    await ex.execute(StartResponse(response_id="r1", messages=({"role": "user", "content": "hi"},), tools=()))
    (done,) = await inbox.until(LlmResponseCompleted)
    texts = [i.text for i in inbox.items if isinstance(i, LlmTextReceived)]
    assert texts == ["Hello ", "there."]
    assert isinstance(done, LlmResponseCompleted) and (done.input_tokens, done.output_tokens) == (12, 3)
    assert llm.requests == [[{"role": "user", "content": "hi"}]]


async def test_a_failing_llm_becomes_llm_failed() -> None:
    inbox = Inbox()
    ex, _ = executor(ScriptedLlm([], fail=True), FakeTts(), inbox)
    await ex.execute(StartResponse(response_id="r1", messages=(), tools=()))
    (failed,) = await inbox.until(LlmFailed)
    assert isinstance(failed, LlmFailed) and failed.response_id == "r1"


async def test_speech_audio_comes_back_as_chunks_then_finished_and_marks_go_to_the_lane() -> None:
    inbox = Inbox()
    tts = FakeTts()
    ex, sink = executor(ScriptedLlm([]), tts, inbox)
    await ex.execute(SynthesizeClause(response_id="r1", text="Hello there."))
    await ex.execute(FinishSpeech(response_id="r1"))
    await inbox.until(TtsFinished)
    chunks = [i for i in inbox.items if isinstance(i, TtsChunk)]
    assert [c.response_id for c in chunks] == ["r1"] and tts.utterances["r1"].pushed == ["Hello there."]
    assert isinstance(inbox.items[-1], TtsFinished)  # after every chunk
    await ex.execute(SendMark(name="r1@end"))
    await sink.wait_until(lambda: "mark" in sink.kinds())


async def test_interrupt_flushes_the_lane_sends_clear_and_cancels_llm_and_tts() -> None:
    inbox = Inbox()
    llm = ScriptedLlm([TextDelta("A long answer")], hold=True)
    tts = FakeTts()
    ex, sink = executor(llm, tts, inbox)
    await ex.execute(StartResponse(response_id="r2", messages=(), tools=()))
    await inbox.until(LlmTextReceived)
    await ex.execute(SynthesizeClause(response_id="r2", text="A long answer"))
    ex.deps.lane.enqueue_audio("r2", b"\x10" * 8000)

    await ex.execute(Interrupt(response_ids=("r2",), heard_text="A long", reason="barge_in"))
    await asyncio.sleep(0)

    assert "clear" in sink.kinds()
    assert llm.closed_early == 1 and "r2" not in ex.llm_tasks
    assert tts.utterances["r2"].cancelled
    assert not ex.accepts_audio("r2")  # late audio of r2 is dropped by the session
    await ex.aclose()
    await ex.deps.lane.aclose()


async def test_cancel_response_cancels_without_clear_and_fallback_clip_goes_to_the_lane() -> None:
    inbox = Inbox()
    ex, sink = executor(ScriptedLlm([TextDelta("x")], hold=True), FakeTts(), inbox)
    await ex.execute(StartResponse(response_id="r3", messages=(), tools=()))
    await inbox.until(LlmTextReceived)
    await ex.execute(CancelResponse(response_id="r3"))
    await ex.execute(PlayFallbackApology(response_id="r4"))
    await sink.wait_until(lambda: len(sink.frames()) == 2)
    assert "clear" not in sink.kinds()
    assert "r3" not in ex.llm_tasks


async def test_tools_validate_first_then_invoke_and_time_out() -> None:
    inbox = Inbox()
    invoker = SlowInvoker()
    ex, _ = executor(ScriptedLlm([]), FakeTts(), inbox, invoker)
    await ex.execute(InvokeTool(tool_call_id="t1", name="lookup", arguments_json='{"order": 7}', timeout_ms=500))
    await ex.execute(InvokeTool(tool_call_id="t2", name="lookup", arguments_json='{"order": "A7"}', timeout_ms=500))
    results = await inbox.until(ToolResultReceived, 2)
    by_id = {r.tool_call_id: r for r in results if isinstance(r, ToolResultReceived)}
    assert by_id["t1"].outcome == "invalid_arguments" and "order" in by_id["t1"].result_json
    assert by_id["t2"].outcome == "ok" and json.loads(by_id["t2"].result_json) == {"status": "shipped"}
    assert [r.arguments for r in invoker.requests] == [{"order": "A7"}]

    invoker.delay_s = 1.0
    await ex.execute(InvokeTool(tool_call_id="t3", name="lookup", arguments_json='{"order": "B"}', timeout_ms=50))
    results = await inbox.until(ToolResultReceived, 3)
    assert [r.outcome for r in results if isinstance(r, ToolResultReceived)][-1] == "timeout"
