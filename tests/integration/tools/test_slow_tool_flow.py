"""A slow tool through the whole tool path, with the pure call loop deciding what the caller hears.

The call loop (``media_worker.core``, driven by the core test driver's fake clock) asks for a tool;
the runtime's ToolRunner runs it through the Lambda invoker → local gateway → tool_call Lambda →
a loopback webhook that answers only when the test says so. The filler is spoken once the slow
threshold passes, and the result, when it lands, is answered. (The full asyncio runtime with
carrier and provider fakes is exercised by tests/integration/media_worker.)
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from botocore.credentials import Credentials

from devstack.gateway import LocalGateway
from media_worker.core import CallConfig, InvokeTool, StartResponse, SynthesizeClause, ToolResultReceived
from media_worker.runtime.tool_invoker_http import LambdaToolInvoker, SigV4Signer, tool_http_client
from media_worker.runtime.tools import ToolCallContext, ToolRunner
from tests.unit.core.driver import Call, of

from .conftest import CALL, CALLER, TENANT, ToolStack, booking_tool
from .webhook_server import answer, scripted_webhook


@pytest.fixture
def gateway_url(tool_stack: ToolStack) -> Iterator[str]:
    with LocalGateway().running() as local:
        yield local.url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = await asyncio.to_thread(tool_http_client)  # loading CA certificates blocks: not on the loop
    yield client
    await client.aclose()


async def test_slow_tool_gets_the_filler_then_the_result_is_answered(
    tool_stack: ToolStack, gateway_url: str, http: httpx.AsyncClient
) -> None:
    gate = threading.Event()
    results: asyncio.Queue[ToolResultReceived] = asyncio.Queue()
    with scripted_webhook(answer(200, {"tables": 2, "time": "19:00"}, gate=gate)) as hook:
        # given an assistant whose tool is slow, and a caller asking for it
        assistant = tool_stack.use_tools(booking_tool(hook.url, slow_after_ms=700, timeout_ms=5000))
        tool = assistant.tools[0]
        call = Call(CallConfig.from_assistant(assistant), call_id=CALL)
        call.greet()
        call.hear("Is there a table on Friday?", final=True, speech_final=True)
        call.tool_call("tc_1", tool.name, '{"date": "friday"}')
        [command] = of(call.llm(), InvokeTool)
        signer = SigV4Signer(Credentials("AKIDTOOLS", "secret", None), region="us-east-1")
        runner = ToolRunner(
            invoker=LambdaToolInvoker(api_base_url=gateway_url, client=http, signer=signer),
            definitions={tool.name: tool},
            context=ToolCallContext(call_id=CALL, tenant_id=TENANT, caller_number=CALLER),
            deliver=results.put_nowait,
            clock_ms=lambda: call.now,
        )
        # when the runtime starts it and the slow threshold passes with no answer
        runner.start(command)
        filler = of(call.advance(700), SynthesizeClause)
        # then the agent says the tool's filler phrase
        assert [c.text for c in filler] == ["Let me check that for you."]
        assert results.empty()
        call.speak_through(filler[0].response_id, 1200)
        # when the webhook finally answers
        gate.set()
        fact = await asyncio.wait_for(results.get(), 10)
    # then the result is fed back and the LLM is asked again with it in the context
    assert (fact.tool_call_id, fact.outcome) == ("tc_1", "ok")
    start = of(call.feed(fact), StartResponse)[0]
    assert start.messages[-1] == {"role": "tool", "tool_call_id": "tc_1",
                                  "content": json.dumps({"tables": 2, "time": "19:00"})}  # fmt: skip
    reply = call.llm("Yes, we have a table at seven. ", response_id=start.response_id)
    assert [c.text for c in of(reply, SynthesizeClause)] == ["Yes, we have a table at seven. "]
