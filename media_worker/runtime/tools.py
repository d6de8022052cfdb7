"""Webhook tools mid-call: the ``ToolInvoker`` seam and the runner that keeps tools off the audio path.

The core asks for a tool with ``InvokeTool``; :class:`ToolRunner` runs each call as its own task:

1. the arguments are parsed and validated against the tool's JSON Schema (jsonschema, 2020-12)
   first; invalid ones come straight back as ``outcome="invalid_arguments"`` with messages the
   LLM can act on, and the invoker is never called;
2. valid calls go to the :class:`ToolInvoker` (in production the Lambda-backed invoker in
   ``tool_invoker_http.py``; in tests a small HTTP one), under the tool's timeout;
3. the result is delivered as a ``ToolResultReceived`` fact to the session's control queue.

A slow tool therefore never delays audio, and the core decides about fillers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from jsonschema import Draft202012Validator

from media_worker.core import InvokeTool, ToolResultReceived
from switchboard.models import ToolDefinition

log = logging.getLogger(__name__)

ToolOutcome = Literal["ok", "error", "timeout", "invalid_arguments", "blocked"]
MAX_ERRORS_REPORTED = 5


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """One validated tool call, with the call context the webhook gets."""

    call_id: str
    tenant_id: str
    caller_number: str | None
    tool_name: str
    tool_call_id: str
    arguments: Mapping[str, Any]
    definition: ToolDefinition

    @property
    def idempotency_key(self) -> str:
        return f"{self.call_id}:{self.tool_call_id}"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What goes back to the LLM (``content_json``) and how the call ended."""

    content_json: str
    outcome: ToolOutcome = "ok"
    latency_ms: float = 0.0


class ToolInvoker(Protocol):
    """Executes a validated tool call. The runner enforces the timeout; an exception counts as ``error``."""

    async def invoke(self, request: ToolRequest) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class ToolCallContext:
    call_id: str
    tenant_id: str
    caller_number: str | None = None


@dataclass
class ToolRunner:
    invoker: ToolInvoker
    definitions: Mapping[str, ToolDefinition]
    context: ToolCallContext
    deliver: Callable[[ToolResultReceived], None]
    clock_ms: Callable[[], float]
    on_result: Callable[[ToolRequest | None, str, ToolResult], None] = lambda request, name, result: None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def start(self, command: InvokeTool) -> None:
        task = asyncio.create_task(self._tool_task(command), name=f"tool-task-{command.tool_call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _tool_task(self, command: InvokeTool) -> None:
        started = self.clock_ms()
        definition = self.definitions.get(command.name)
        request: ToolRequest | None = None
        if definition is None:
            result = ToolResult(json.dumps({"error": f"unknown tool {command.name!r}"}), "blocked")
        else:
            problems, arguments = self.validate(definition, command.arguments_json)
            if problems:
                body = {"error": "invalid arguments; correct them and call the tool again", "problems": problems}
                result = ToolResult(json.dumps(body), "invalid_arguments")
            else:
                request = ToolRequest(
                    call_id=self.context.call_id,
                    tenant_id=self.context.tenant_id,
                    caller_number=self.context.caller_number,
                    tool_name=command.name,
                    tool_call_id=command.tool_call_id,
                    arguments=arguments,
                    definition=definition,
                )
                result = await self._invoke(request, command.timeout_ms)
        latency = max(0.0, self.clock_ms() - started)
        result = ToolResult(result.content_json, result.outcome, latency)
        self.on_result(request, command.name, result)
        self.deliver(
            ToolResultReceived(
                now_ms=self.clock_ms(),
                tool_call_id=command.tool_call_id,
                result_json=result.content_json,
                outcome=result.outcome,
            )
        )

    async def _invoke(self, request: ToolRequest, timeout_ms: int) -> ToolResult:
        try:
            async with asyncio.timeout(timeout_ms / 1000.0):
                return await self.invoker.invoke(request)
        except TimeoutError:
            return ToolResult(json.dumps({"error": f"the tool did not answer within {timeout_ms} ms"}), "timeout")
        except Exception as exc:  # the invoker's failure becomes an error result the LLM can recover from
            log.warning("tool invocation failed", extra={"tool": request.tool_name, "error": type(exc).__name__})
            return ToolResult(json.dumps({"error": "the tool failed"}), "error")

    def validate(self, definition: ToolDefinition, arguments_json: str) -> tuple[list[str], dict[str, Any]]:
        """``(problems, arguments)``; no problems means the arguments match the tool's schema."""
        try:
            arguments = json.loads(arguments_json or "{}")
        except ValueError:
            return ["arguments are not valid JSON"], {}
        if not isinstance(arguments, dict):
            return ["arguments must be a JSON object"], {}
        validator = self._validators.get(definition.name)
        if validator is None:
            validator = self._validators[definition.name] = Draft202012Validator(definition.parameters)
        problems = []
        for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.path) or "(arguments)"
            problems.append(f"{where}: {error.message}")
        return problems[:MAX_ERRORS_REPORTED], arguments
