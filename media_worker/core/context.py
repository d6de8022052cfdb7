"""The LLM conversation, kept as values and rendered in OpenAI chat-completions form.

Assistant messages carry the id of the response that produced them, so an
interrupted reply can be cut down to what the caller actually heard. Tool
results are placed right after the assistant message that asked for them,
even when the caller spoke in between, so the rendered list is always valid
for the chat-completions API.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the LLM asked for."""

    id: str
    name: str
    arguments_json: str


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    response_id: str | None = None

    def to_openai(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
                for c in self.tool_calls
            ]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


@dataclass(frozen=True, slots=True)
class Conversation:
    messages: tuple[Message, ...] = ()

    @classmethod
    def start(cls, system_prompt: str) -> Conversation:
        return cls((Message("system", system_prompt),))

    def to_openai(self) -> tuple[dict[str, Any], ...]:
        return tuple(m.to_openai() for m in self.messages)

    def with_user(self, text: str) -> Conversation:
        return replace(self, messages=(*self.messages, Message("user", text)))

    def ends_with_user(self, text: str) -> bool:
        return bool(self.messages) and self.messages[-1].role == "user" and self.messages[-1].content == text

    def without_last_user(self) -> tuple[Conversation, str]:
        """Remove the trailing user message (a turn the caller turned out to continue)."""
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError("the conversation does not end with a user message")
        return replace(self, messages=self.messages[:-1]), last.content or ""

    def with_assistant(self, response_id: str, text: str, tool_calls: tuple[ToolCall, ...] = ()) -> Conversation:
        """Record what the assistant said, replacing the text of an earlier message of the same response.

        Tool calls accumulate: once asked for, a call stays (its result must follow it).
        """
        index = self._assistant_index(response_id)
        content = text if text or not tool_calls else None
        if index is None:
            if not text and not tool_calls:
                return self
            return replace(
                self, messages=(*self.messages, Message("assistant", content, tool_calls, None, response_id))
            )
        old = self.messages[index]
        calls = old.tool_calls + tuple(c for c in tool_calls if c not in old.tool_calls)
        if not text and not calls:
            return replace(self, messages=self.messages[:index] + self.messages[index + 1 :])
        new = replace(old, content=text if text or not calls else None, tool_calls=calls)
        return replace(self, messages=(*self.messages[:index], new, *self.messages[index + 1 :]))

    def has_assistant(self, response_id: str) -> bool:
        return self._assistant_index(response_id) is not None

    def with_tool_result(self, tool_call_id: str, content: str) -> Conversation:
        """Insert a tool message after its assistant message and any earlier results of that round."""
        owner = next(
            (i for i, m in enumerate(self.messages) if any(c.id == tool_call_id for c in m.tool_calls)),
            None,
        )
        if owner is None:
            raise ValueError(f"no assistant message asked for tool call {tool_call_id!r}")
        at = owner + 1
        while at < len(self.messages) and self.messages[at].role == "tool":
            at += 1
        tool = Message("tool", content, tool_call_id=tool_call_id)
        return replace(self, messages=(*self.messages[:at], tool, *self.messages[at:]))

    def _assistant_index(self, response_id: str) -> int | None:
        for i in range(len(self.messages) - 1, -1, -1):
            message = self.messages[i]
            if message.role == "assistant" and message.response_id == response_id:
                return i
        return None
