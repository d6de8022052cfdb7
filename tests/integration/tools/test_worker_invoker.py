"""The media worker's invoker → local API gateway (real socket) → tool_call Lambda → loopback webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from botocore.credentials import Credentials

from devstack.gateway import Gateway, LocalGateway, load_handler
from media_worker.core import InvokeTool, ToolResultReceived
from media_worker.runtime.tool_invoker_http import LambdaToolInvoker, SigV4Signer, tool_http_client
from media_worker.runtime.tools import ToolCallContext, ToolRequest, ToolRunner

from .conftest import CALL, CALLER, TENANT, ToolStack, booking_tool
from .webhook_server import answer, refused_port, scripted_webhook


class RecordingGateway(Gateway):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

        def loader(name: str) -> Any:
            handler = load_handler(name)

            def recorded(event: dict[str, Any], context: Any) -> Any:
                self.events.append(event)
                return handler(event, context)

            return recorded

        super().__init__(loader=loader)


@pytest.fixture
def gateway(tool_stack: ToolStack) -> Iterator[tuple[str, RecordingGateway]]:
    recording = RecordingGateway()
    with LocalGateway(gateway=recording).running() as local:
        yield local.url, recording


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = await asyncio.to_thread(tool_http_client)  # loading CA certificates blocks: not on the loop
    yield client
    await client.aclose()


def invoker(base_url: str, http: httpx.AsyncClient) -> LambdaToolInvoker:
    signer = SigV4Signer(Credentials("AKIDTOOLS", "tool-secret-key", "session-token"), region="us-east-1")
    return LambdaToolInvoker(api_base_url=base_url, client=http, signer=signer)


def request_for(url: str, arguments: dict[str, Any] | None = None) -> ToolRequest:
    return ToolRequest(call_id=CALL, tenant_id=TENANT, caller_number=CALLER, tool_name="check_availability",
                       tool_call_id="tc_7", arguments=arguments or {"date": "friday"},
                       definition=booking_tool(url))  # fmt: skip


async def test_the_worker_gets_the_webhook_answer_through_a_sigv4_signed_call(
    tool_stack: ToolStack, gateway: tuple[str, RecordingGateway], http: httpx.AsyncClient
) -> None:
    base_url, recording = gateway
    with scripted_webhook(answer(200, {"available": True})) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        # when the worker invokes the tool
        result = await invoker(base_url, http).invoke(request_for(hook.url))
    # then the answer is the tool message content, and the Lambda was called with SigV4 for execute-api
    assert (result.outcome, json.loads(result.content_json)) == ("ok", {"available": True})
    [event] = recording.events
    authorization = event["headers"]["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDTOOLS/")
    assert "/us-east-1/execute-api/aws4_request" in authorization
    assert event["headers"]["x-amz-security-token"] == "session-token"
    assert json.loads(event["body"])["tool_call_id"] == "tc_7"
    assert hook.received[0].header("idempotency-key") == f"{CALL}:tc_7"


async def test_an_unreachable_platform_api_is_an_error_result(http: httpx.AsyncClient) -> None:
    result = await invoker(f"http://127.0.0.1:{refused_port()}", http).invoke(request_for("https://tools.example.com/"))
    assert (result.outcome, json.loads(result.content_json)) == ("error", {"error": "the tool failed"})


async def test_invalid_arguments_are_caught_in_the_worker_without_any_request(
    tool_stack: ToolStack, gateway: tuple[str, RecordingGateway], http: httpx.AsyncClient
) -> None:
    # given the runtime's tool runner in front of the invoker
    base_url, recording = gateway
    delivered: list[ToolResultReceived] = []
    arrived = asyncio.Event()

    def deliver(fact: ToolResultReceived) -> None:
        delivered.append(fact)
        arrived.set()

    with scripted_webhook(answer(200)) as hook:
        tool = booking_tool(hook.url)
        tool_stack.use_tools(tool)
        runner = ToolRunner(invoker=invoker(base_url, http), definitions={tool.name: tool},
                            context=ToolCallContext(call_id=CALL, tenant_id=TENANT, caller_number=CALLER),
                            deliver=deliver, clock_ms=lambda: 0.0)  # fmt: skip
        # when the LLM calls it with arguments the schema rejects
        runner.start(InvokeTool(tool_call_id="tc_8", name=tool.name, arguments_json='{"party": 2}', timeout_ms=2000))
        await asyncio.wait_for(arrived.wait(), 5)
    # then invalid_arguments goes back to the LLM, and neither the Lambda nor the webhook was called
    [received] = delivered
    assert received.outcome == "invalid_arguments"
    assert recording.events == [] and hook.connections == 0

