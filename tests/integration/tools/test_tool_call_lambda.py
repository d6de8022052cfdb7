"""The tool_call Lambda end to end: store → signed webhook POST on loopback → result → tool.invoked on the bus."""

from __future__ import annotations

import json

from switchboard.events import ToolInvoked
from switchboard.tools import verify

from .conftest import CALL, CALLER, SECRET, TENANT, ToolStack, booking_tool, tool_request
from .webhook_server import answer, hang, scripted_webhook


def test_success_is_signed_carries_the_call_context_and_is_reported_without_arguments(tool_stack: ToolStack) -> None:
    # given a tool whose webhook answers JSON
    with scripted_webhook(answer(200, {"available": True, "times": ["19:00"]})) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        # when the worker asks for the call
        status, result = tool_stack.invoke(tool_request())
    # then the webhook's answer comes back as the ok content
    assert status == 200
    assert (result["outcome"], result["content"]) == ("ok", {"available": True, "times": ["19:00"]})
    # and the webhook got a signed request it can verify, with the idempotency key and call context
    [request] = hook.received
    assert verify(SECRET, request.header("x-switchboard-timestamp"), request.body,
                  request.header("x-switchboard-signature"))  # fmt: skip
    assert str(request.header("x-switchboard-signature")).startswith("v1=")
    assert request.header("idempotency-key") == f"{CALL}:tc_1"
    assert request.json() == {
        "call": {"id": CALL, "tenant_id": TENANT, "caller_number": CALLER},
        "tool": {"name": "check_availability", "call_id": "tc_1"},
        "arguments": {"date": "friday", "party": 2},
    }
    # and tool.invoked reached the bus with name, outcome and latency, but no argument values
    [event] = tool_stack.invoked_events()
    assert isinstance(event, ToolInvoked)
    assert (event.call_id, event.tool_name, event.tool_call_id, event.outcome) == (
        CALL, "check_availability", "tc_1", "ok"
    )  # fmt: skip
    assert event.arguments is None
    assert "friday" not in event.model_dump_json()


def test_arguments_reach_the_bus_only_when_the_tenant_allows_it(tool_stack: ToolStack) -> None:
    tool_stack.set_tenant(allow_private_tool_urls=True, log_tool_arguments=True)
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        tool_stack.invoke(tool_request())
    [event] = tool_stack.invoked_events()
    assert isinstance(event, ToolInvoked)
    assert event.arguments == {"date": "friday", "party": 2}


def test_a_500_is_an_error_result_not_an_error_response(tool_stack: ToolStack) -> None:
    with scripted_webhook(answer(500, {"message": "database down"})) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        status, result = tool_stack.invoke(tool_request())
    assert status == 200
    assert result["outcome"] == "error"
    assert result["content"]["error"] == "the tool answered HTTP 500"
    assert len(hook.received) == 1
    [event] = tool_stack.invoked_events()
    assert isinstance(event, ToolInvoked) and event.outcome == "error"


def test_the_lambda_revalidates_arguments_and_never_calls_the_webhook(tool_stack: ToolStack) -> None:
    # given a worker that (wrongly) sends arguments the schema rejects
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        status, result = tool_stack.invoke(tool_request(arguments={"party": 0}))
    # then the Lambda answers invalid_arguments with the problems, and no request left it
    assert (status, result["outcome"]) == (200, "invalid_arguments")
    assert any("date" in p for p in result["content"]["problems"])
    assert hook.connections == 0
    [event] = tool_stack.invoked_events()
    assert isinstance(event, ToolInvoked) and event.outcome == "invalid_arguments"


def test_a_private_webhook_is_blocked_for_a_tenant_that_does_not_allow_it(tool_stack: ToolStack) -> None:
    # given a tenant without the private-URL setting and a tool pointing at loopback
    tool_stack.set_tenant(allow_private_tool_urls=False)
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        status, result = tool_stack.invoke(tool_request())
    # then the call is blocked and no connection was made
    assert (status, result["outcome"]) == (200, "blocked")
    assert "127.0.0.1" not in json.dumps(result)
    assert hook.connections == 0


def test_a_slow_webhook_times_out_at_the_tools_timeout(tool_stack: ToolStack) -> None:
    with scripted_webhook(hang) as hook:
        tool_stack.use_tools(booking_tool(hook.url, timeout_ms=200))
        status, result = tool_stack.invoke(tool_request())
    assert (status, result["outcome"]) == (200, "timeout")
    assert result["content"] == {"error": "the tool did not answer within 200 ms"}


def test_an_oversized_answer_is_an_error(tool_stack: ToolStack) -> None:
    with scripted_webhook(answer(200, {"blob": "z" * 70_000})) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        _, result = tool_stack.invoke(tool_request())
    assert result["outcome"] == "error"
    assert "larger than 65536 bytes" in result["content"]["error"]


def test_the_webhook_url_comes_from_the_store_not_from_the_request(tool_stack: ToolStack) -> None:
    # given a worker request that tries to name its own webhook URL
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        status, result = tool_stack.invoke(tool_request(webhook_url="http://169.254.169.254/"))
    # then the request is rejected as malformed (unknown field), and nothing was called
    assert status == 400
    assert "webhook_url" in result["fields"]
    assert hook.connections == 0


def test_unknown_tools_calls_and_other_assistants_are_blocked(tool_stack: ToolStack) -> None:
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url))
        _, unknown_tool = tool_stack.invoke(tool_request(tool_name="drop_tables"))
        _, unknown_call = tool_stack.invoke(tool_request(call_id="call_404"))
        _, other_assistant = tool_stack.invoke(tool_request(assistant_id="asst_other"))
    assert [r["outcome"] for r in (unknown_tool, unknown_call, other_assistant)] == ["blocked"] * 3
    assert hook.connections == 0


def test_a_secret_outside_the_tenants_namespace_is_refused(tool_stack: ToolStack) -> None:
    # given a tool naming a platform secret (the stream-token key) as its signing secret
    platform_secret = tool_stack.aws.secrets["stream_token"]
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url, signing_secret_ref=platform_secret))
        _, result = tool_stack.invoke(tool_request())
    # then nothing is signed with it and nothing is sent
    assert result["outcome"] == "error"
    assert result["content"] == {"error": "the tool is misconfigured"}
    assert hook.connections == 0


def test_a_secret_named_by_arn_holding_json_signs_the_request(tool_stack: ToolStack) -> None:
    import boto3

    # given a JSON signing secret in the tenant's namespace, referenced by its ARN
    arn = boto3.client("secretsmanager").create_secret(
        Name=f"switchboard/test/tenants/{TENANT}/tools/crm", SecretString=json.dumps({"signing_secret": "json-secret"})
    )["ARN"]
    with scripted_webhook(answer(200)) as hook:
        tool_stack.use_tools(booking_tool(hook.url, signing_secret_ref=arn))
        _, result = tool_stack.invoke(tool_request())
    # then the request is signed with the secret's field
    [request] = hook.received
    assert result["outcome"] == "ok"
    assert verify("json-secret", request.header("x-switchboard-timestamp"), request.body,
                  request.header("x-switchboard-signature"))  # fmt: skip
