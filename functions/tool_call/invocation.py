"""Run one tool call: the tool's definition from the store, arguments re-validated, a signed webhook POST.

The call must be a live call of the tenant (its record in the store); the tool is looked up on the
assistant that answers that call, and the caller number sent to the webhook is the record's.

Whatever happens to the webhook, the answer is a :class:`~switchboard.tools.ToolResult` (never an
exception), and ``tool.invoked`` is published with the name, outcome and latency; the argument
values only when the tenant set ``log_tool_arguments``. Nothing here logs arguments, answers or
secrets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from switchboard.errors import NotFound
from switchboard.events import ToolInvoked
from switchboard.models import Assistant, CallRecord, Tenant, ToolDefinition
from switchboard.publisher import EventPublishError
from switchboard.tools import (
    ToolResult,
    WebhookPolicy,
    argument_problems,
    failure,
    idempotency_key,
    request_body,
    signed_headers,
)

from .request import ToolCallRequest
from .signing_secrets import ForeignSecret


class Webhooks(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str], policy: WebhookPolicy) -> ToolResult: ...


class Publisher(Protocol):
    def publish(self, *events: ToolInvoked) -> None: ...


class Secrets(Protocol):
    def get(self, tenant_id: str, ref: str) -> str: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> Tenant: ...

    def assistant(self, tenant_id: str, assistant_id: str) -> Assistant: ...

    def call(self, tenant_id: str, call_id: str) -> CallRecord: ...


LIVE_CALL_STATUSES = frozenset({"ringing", "in_progress"})


@dataclass
class ToolRunner:
    directory: Directory
    secrets: Secrets
    webhooks: Webhooks
    publisher: Publisher
    logger: Any
    max_response_bytes: int
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time

    def run(self, request: ToolCallRequest) -> ToolResult:
        started = self.clock()
        try:
            tenant = self.directory.tenant(request.tenant_id)
        except NotFound:
            return failure("blocked", "this tool is not available", 0.0, note="unknown tenant")
        result = self._run(request, tenant, started)
        self._publish(request, tenant, result)
        return result

    def _run(self, request: ToolCallRequest, tenant: Tenant, started: float) -> ToolResult:
        def elapsed_ms() -> float:
            return max(0.0, (self.clock() - started) * 1000.0)

        if tenant.status != "active":
            return failure("blocked", "this tool is not available", elapsed_ms(), note="tenant suspended")
        try:
            call = self.directory.call(request.tenant_id, request.call_id)
        except NotFound:
            return failure("blocked", "this tool is not available", elapsed_ms(), note="unknown call")
        if call.status not in LIVE_CALL_STATUSES:
            return failure("blocked", "the call has ended", elapsed_ms(), note=f"call is {call.status}")
        if call.assistant_id is None or request.assistant_id not in {None, call.assistant_id}:
            return failure("blocked", "this tool is not available", elapsed_ms(), note="assistant mismatch")
        tool = self._tool(request.tenant_id, call.assistant_id, request.tool_name)
        if tool is None:
            return failure("blocked", f"unknown tool {request.tool_name!r}", elapsed_ms(), note="no such tool")
        problems = argument_problems(tool.parameters, request.arguments)
        if problems:
            return failure("invalid_arguments", "the arguments do not match the tool's schema", elapsed_ms(),
                           problems=problems)  # fmt: skip
        secret = None
        if tool.signing_secret_ref:
            try:
                secret = self.secrets.get(request.tenant_id, tool.signing_secret_ref)
            except (ForeignSecret, NotFound) as exc:
                return failure("error", "the tool is misconfigured", elapsed_ms(), note=str(exc))
        body = request_body(
            call_id=request.call_id, tenant_id=request.tenant_id, caller_number=call.from_number,
            tool_name=tool.name, tool_call_id=request.tool_call_id, arguments=request.arguments,
        )  # fmt: skip
        headers = signed_headers(
            secret, body, idempotency_key=idempotency_key(request.call_id, request.tool_call_id),
            timestamp=int(self.wall_clock()),
        )  # fmt: skip
        policy = WebhookPolicy(
            timeout_ms=tool.timeout_ms,
            allow_private=tenant.allow_private_tool_urls,
            max_response_bytes=self.max_response_bytes,
        )
        return self.webhooks.post(str(tool.webhook_url), body, headers, policy)

    def _tool(self, tenant_id: str, assistant_id: str, name: str) -> ToolDefinition | None:
        try:
            assistant = self.directory.assistant(tenant_id, assistant_id)
        except NotFound:
            return None
        return assistant.tool(name)

    def _publish(self, request: ToolCallRequest, tenant: Tenant, result: ToolResult) -> None:
        event = ToolInvoked(
            tenant_id=request.tenant_id,
            call_id=request.call_id,
            tool_name=request.tool_name[:64],
            tool_call_id=request.tool_call_id,
            outcome=result.outcome,
            latency_ms=round(result.latency_ms, 1),
            arguments=dict(request.arguments) if tenant.log_tool_arguments else None,
        )
        try:
            self.publisher.publish(event)
        except EventPublishError as exc:
            # the caller is mid-call: its tool result matters more than the event
            self.logger.error("tool.invoked not published", extra={"error_codes": list(exc.error_codes)})
