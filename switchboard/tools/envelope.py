"""What a tool call carries: the webhook request body and the result handed back to the LLM.

The webhook receives (JSON)::

    {"call": {"id": ..., "tenant_id": ..., "caller_number": ...},
     "tool": {"name": ..., "call_id": ...},
     "arguments": {...}}

and the platform turns whatever happened into a :class:`ToolResult`: an ``outcome`` (the same
values as :class:`switchboard.events.ToolInvoked`), the ``content`` the LLM reads as the tool
message (the webhook's JSON answer, or ``{"error": ...}`` it can recover from) and the latency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

ToolOutcome = Literal["ok", "error", "timeout", "invalid_arguments", "blocked"]
TOOL_OUTCOMES: tuple[str, ...] = get_args(ToolOutcome)


def request_body(
    *, call_id: str, tenant_id: str, caller_number: str | None, tool_name: str, tool_call_id: str,
    arguments: dict[str, Any],
) -> bytes:  # fmt: skip
    """The exact bytes POSTed to the webhook (and signed)."""
    document = {
        "call": {"id": call_id, "tenant_id": tenant_id, "caller_number": caller_number},
        "tool": {"name": tool_name, "call_id": tool_call_id},
        "arguments": arguments,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def idempotency_key(call_id: str, tool_call_id: str) -> str:
    return f"{call_id}:{tool_call_id}"


@dataclass(frozen=True, slots=True)
class ToolResult:
    outcome: ToolOutcome
    content: Any
    """JSON value the LLM reads as the tool message"""
    latency_ms: float
    status: int | None = None
    """the webhook's HTTP status, when it answered"""
    note: str | None = None
    """why, for the platform's logs only (never sent to the LLM or the worker)"""

    @property
    def content_json(self) -> str:
        return json.dumps(self.content, ensure_ascii=False)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"outcome": self.outcome, "content": self.content, "latency_ms": self.latency_ms}
        if self.status is not None:
            wire["status"] = self.status
        return wire

    @classmethod
    def from_wire(cls, data: Any) -> ToolResult:
        """Parse the ``tool_call`` Lambda's answer; :class:`ValueError` if it is not one."""
        if not isinstance(data, dict) or data.get("outcome") not in TOOL_OUTCOMES or "content" not in data:
            raise ValueError("not a tool result: expected {outcome, content, latency_ms}")
        latency = data.get("latency_ms", 0.0)
        status = data.get("status")
        if not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0:
            raise ValueError("latency_ms must be a non-negative number")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise ValueError("status must be an integer")
        return cls(outcome=data["outcome"], content=data["content"], latency_ms=float(latency), status=status)


def failure(
    outcome: ToolOutcome, message: str, latency_ms: float, *, note: str | None = None, **detail: Any
) -> ToolResult:
    """A result that tells the LLM what went wrong, so it can recover (apologise, retry, ask)."""
    content: dict[str, Any] = {"error": message}
    content.update({k: v for k, v in detail.items() if v is not None})
    return ToolResult(outcome=outcome, content=content, latency_ms=latency_ms, status=detail.get("status"), note=note)
