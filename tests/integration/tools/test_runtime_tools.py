"""Tools in a live call: the media worker (harness of tests/integration/media_worker) with a simulated caller,
the Lambda invoker through the local gateway to the tool_call Lambda, and loopback webhooks.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import pytest
from botocore.credentials import Credentials

from devstack.gateway import LocalGateway, load_handler
from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply
from fakes.audio import speech_like_mulaw
from fakes.openai import ToolCall, ToolCallsReply
from fakes.telnyx_rest import FakeTelnyxRest
from media_worker.app import preload_lazy_modules
from media_worker.providers import ProviderClients
from media_worker.runtime.rest_call_control import CarrierCallControl, TelnyxCallControl
from media_worker.runtime.tool_invoker_http import LambdaToolInvoker, SigV4Signer, tool_http_client
from switchboard.local_aws import LocalResources
from switchboard.models import Assistant, Tenant
from switchboard.resources import ENV_STAGE
from switchboard.store import create_tenant, table_resource
from tests.integration.media_worker.harness import TENANT, WorkerStack, assistant, provider_clients, start_stack

from .conftest import booking_tool
from .webhook_server import answer, scripted_webhook

FILLER = "Let me check that for you."
SECRET_NAME = f"switchboard/test/tenants/{TENANT}/tools/booking"


@pytest.fixture
async def deepgram() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram(script_per_connection=True) as fake:
        yield fake


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def cartesia() -> AsyncIterator[FakeCartesia]:
    async with FakeCartesia(ms_per_char=10.0) as fake:
        yield fake


@pytest.fixture
def clients(
    aws: LocalResources, deepgram: FakeDeepgram, openai: FakeOpenAI, cartesia: FakeCartesia
) -> Iterator[ProviderClients]:
    """SDK clients on the fakes built off the event loop, then the heap frozen (as the worker's harness does)."""
    built = provider_clients(deepgram, openai, cartesia)
    preload_lazy_modules()
    gc.collect()
    gc.freeze()
    yield built
    gc.unfreeze()


@pytest.fixture
async def telnyx() -> AsyncIterator[FakeTelnyxRest]:
    async with FakeTelnyxRest() as fake:
        yield fake


@pytest.fixture
def gateway_url(aws: LocalResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(ENV_STAGE, "test")
    table = table_resource(aws.table)
    create_tenant(table, Tenant(tenant_id=TENANT, name="Media Co", allow_private_tool_urls=True))
    boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString="whsec_runtime")
    load_handler("tool_call")  # a warm Lambda container: imports are not part of the tool's time
    with LocalGateway().running() as local:
        yield local.url


@pytest.fixture
async def worker(
    aws: LocalResources, gateway_url: str, clients: ProviderClients, deepgram: FakeDeepgram, openai: FakeOpenAI,
    cartesia: FakeCartesia, telnyx: FakeTelnyxRest, tmp_path: Path,
) -> AsyncIterator[WorkerStack]:  # fmt: skip
    http = await asyncio.to_thread(tool_http_client)
    signer = SigV4Signer(Credentials("AKIDWORKER", "worker-secret", None), region="us-east-1")
    invoker = LambdaToolInvoker(api_base_url=gateway_url, client=http, signer=signer)
    stack = await start_stack(aws, deepgram, openai, cartesia, clients=clients, spool=tmp_path / "events.jsonl",
                              tool_invoker=invoker)  # fmt: skip
    stack.app.call_control = CarrierCallControl(
        twilio=None, telnyx=TelnyxCallControl(http, lambda call: telnyx.api_key, api_base_url=telnyx.http_url)
    )
    try:
        yield stack
    finally:
        await stack.aclose()
        await http.aclose()


def tools_assistant(webhook_url: str) -> Assistant:
    tool = booking_tool(webhook_url, signing_secret_ref=SECRET_NAME, timeout_ms=10_000)
    return assistant("as_tools", tools=(tool,))


def tool_messages(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [m for m in messages if m["role"] == "tool"]


async def test_a_slow_tool_gets_the_filler_then_its_result_is_spoken(worker: WorkerStack) -> None:
    gate = threading.Event()
    with scripted_webhook(answer(200, {"tables": 2, "time": "19:00"}, gate=gate)) as hook:
        # given an assistant with a slow tool, and a caller who asks for it
        await worker.add_assistant(tools_assistant(hook.url))
        worker.deepgram.script = ["Is there a table on Friday?"]
        worker.openai.push(ToolCallsReply([ToolCall("check_availability", {"date": "friday"}, id="tc_rt1")]),
                           TextReply("Yes, we have a table at seven."))  # fmt: skip
        call = await worker.place_call(assistant_id="as_tools")
        async with worker.caller(call) as caller:
            await caller.wait_for_mark("@end")
            await caller.speak(speech_like_mulaw(1.0))
            await caller.silence(300)
            # when the webhook has not answered by the slow threshold
            await worker.cartesia.wait_for(lambda: any(FILLER in c.transcript for c in worker.cartesia.contexts),
                                           within_s=10)  # fmt: skip
            assert not any("table at seven" in c.transcript for c in worker.cartesia.contexts)
            # then, once it answers, the LLM is asked again with the result and the reply is spoken
            gate.set()
            await worker.cartesia.wait_for(
                lambda: any("table at seven" in c.transcript for c in worker.cartesia.contexts), within_s=10
            )
    spoken = [c.transcript.strip() for c in worker.cartesia.contexts]
    assert spoken.index(FILLER) < spoken.index("Yes, we have a table at seven.")
    [tool_message] = tool_messages(worker.openai.last_request.messages)
    assert tool_message == {"role": "tool", "tool_call_id": "tc_rt1",
                            "content": json.dumps({"tables": 2, "time": "19:00"})}  # fmt: skip
    assert hook.received[0].json()["call"]["id"] == call.call_id


async def test_a_caller_who_speaks_during_a_tool_gets_an_answer_that_uses_the_result(worker: WorkerStack) -> None:
    gate = threading.Event()
    with scripted_webhook(answer(200, {"friday": 0, "saturday": 3}, gate=gate)) as hook:
        # given a slow tool, and a caller who keeps talking while it runs
        await worker.add_assistant(tools_assistant(hook.url))
        worker.deepgram.script = ["Is there a table on Friday?", "Or maybe Saturday works too."]
        worker.openai.push(ToolCallsReply([ToolCall("check_availability", {"date": "friday"}, id="tc_rt3")]),
                           TextReply("Friday is full, but Saturday has three tables."))  # fmt: skip
        call = await worker.place_call(assistant_id="as_tools")
        async with worker.caller(call) as caller:
            await caller.wait_for_mark("@end")
            await caller.speak(speech_like_mulaw(1.0))
            await caller.silence(300)
            await worker.openai.wait_for(lambda: len(worker.openai.requests) == 1, within_s=10)
            # when the caller speaks again before the tool answers
            await caller.speak(speech_like_mulaw(1.0))
            await caller.silence(300)
            await worker.deepgram.wait_for(lambda: _finalized(worker.deepgram, "Saturday"), within_s=10)
            gate.set()
            await worker.cartesia.wait_for(
                lambda: any("three tables" in c.transcript for c in worker.cartesia.contexts), within_s=10
            )
    # then the result was kept: one more LLM request, with the tool result and then the caller's new words
    assert len(worker.openai.requests) == 2
    messages = worker.openai.last_request.messages
    assert [m["role"] for m in messages][-3:] == ["assistant", "tool", "user"]
    assert messages[-2]["content"] == json.dumps({"friday": 0, "saturday": 3})
    assert "Saturday" in str(messages[-1]["content"])


def _finalized(deepgram: FakeDeepgram, word: str) -> bool:
    return any(
        m.get("is_final") and word in json.dumps(m) for s in deepgram.sessions for m in s.sent_of("Results")
    )


async def test_a_failing_tool_is_an_error_result_the_llm_recovers_from(worker: WorkerStack) -> None:
    with scripted_webhook(answer(500, {"message": "down"})) as hook:
        await worker.add_assistant(tools_assistant(hook.url))
        worker.deepgram.script = ["Is there a table on Friday?"]
        worker.openai.push(ToolCallsReply([ToolCall("check_availability", {"date": "friday"}, id="tc_rt2")]),
                           TextReply("Sorry, I can't check right now."))  # fmt: skip
        call = await worker.place_call(assistant_id="as_tools")
        async with worker.caller(call) as caller:
            await caller.wait_for_mark("@end")
            await caller.speak(speech_like_mulaw(1.0))
            await caller.silence(300)
            await worker.cartesia.wait_for(
                lambda: any("can't check" in c.transcript for c in worker.cartesia.contexts), within_s=10
            )
    [tool_message] = tool_messages(worker.openai.last_request.messages)
    assert json.loads(str(tool_message["content"]))["error"] == "the tool answered HTTP 500"


async def test_end_call_says_goodbye_then_hangs_up_through_the_carrier(
    worker: WorkerStack, telnyx: FakeTelnyxRest
) -> None:
    # given a Telnyx call whose assistant decides to end it
    worker.deepgram.script = ["That's all, thanks."]
    worker.openai.push(ToolCallsReply([ToolCall("end_call", {}, id="tc_end")]))
    call = await worker.place_call(carrier="telnyx")
    async with worker.caller(call, carrier="telnyx") as caller:
        await caller.wait_for_mark("@end")
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(300)
        # when the goodbye has played
        await caller.wait_closed(timeout_s=15)
    # then the goodbye was spoken, the call ended as the assistant's decision, and the carrier leg was hung up
    assert any("Goodbye" in c.transcript for c in worker.cartesia.contexts)
    ended = await worker.call_ended(call.call_id)
    assert ended.end_reason == "assistant_ended"
    assert [c.action for c in telnyx.commands_for(call.carrier_call_id)] == ["hangup"]
