"""The webhook body and the tool result envelope round-trip."""

from __future__ import annotations

import json

import pytest

from switchboard.tools import ToolResult, failure, idempotency_key, request_body


def test_request_body_carries_the_call_context_the_tool_and_the_arguments() -> None:
    body = request_body(call_id="call_1", tenant_id="ten_a", caller_number="+14155550123",
                        tool_name="book", tool_call_id="tc_9", arguments={"date": "friday"})  # fmt: skip
    assert json.loads(body) == {
        "call": {"id": "call_1", "tenant_id": "ten_a", "caller_number": "+14155550123"},
        "tool": {"name": "book", "call_id": "tc_9"},
        "arguments": {"date": "friday"},
    }
    assert idempotency_key("call_1", "tc_9") == "call_1:tc_9"


def test_result_round_trips_and_keeps_notes_private() -> None:
    result = failure("blocked", "the tool's address is not allowed", 3.5, note="10.0.0.1 is a private address")
    wire = result.to_wire()
    assert wire == {"outcome": "blocked", "content": {"error": "the tool's address is not allowed"}, "latency_ms": 3.5}
    assert "10.0.0.1" not in json.dumps(wire)
    assert ToolResult.from_wire(wire).content == result.content


@pytest.mark.parametrize(
    "wire",
    [None, {"outcome": "maybe", "content": 1}, {"outcome": "ok"}, {"outcome": "ok", "content": 1, "latency_ms": -1}],
)
def test_from_wire_rejects_what_is_not_a_result(wire: object) -> None:
    with pytest.raises(ValueError):
        ToolResult.from_wire(wire)
