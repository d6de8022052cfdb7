"""What the media worker sends to ``POST /tools/invoke``: which call, which tool, which arguments.

No webhook URL, timeout or secret comes from the worker: the Lambda reads the call record, and the
tool's definition from the call's assistant in the store. ``assistant_id`` and ``caller_number``
are optional cross-checks; the call record is authoritative for both.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from switchboard.models._base import E164, Contract, Identifier


class ToolCallRequest(Contract):
    call_id: Identifier
    tenant_id: Identifier
    assistant_id: Identifier | None = None
    caller_number: E164 | None = None
    tool_call_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    tool_name: str = Field(min_length=1, max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict)
