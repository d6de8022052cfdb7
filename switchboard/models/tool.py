"""Tools: JSON-Schema functions the assistant can call mid-call."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import AnyHttpUrl, Field, field_validator

from ._base import Contract

BUILT_IN_TOOLS = frozenset({"end_call", "transfer_call"})


class ToolDefinition(Contract):
    """A function the LLM may call; the platform POSTs its arguments to ``webhook_url``."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
    description: str = Field(min_length=1, max_length=1024)
    parameters: dict[str, Any] = Field(description="JSON Schema (2020-12) of the arguments object")
    webhook_url: AnyHttpUrl
    timeout_ms: int = Field(default=5000, ge=100, le=30_000)
    signing_secret_ref: str | None = Field(
        default=None, max_length=2048, description="Secrets Manager name or ARN of the HMAC secret; never the secret"
    )
    filler_phrase: str | None = Field(default=None, max_length=200)
    slow_after_ms: int = Field(default=700, ge=0, le=30_000)

    @field_validator("name")
    @classmethod
    def _not_built_in(cls, value: str) -> str:
        if value in BUILT_IN_TOOLS:
            raise ValueError(f"{value!r} is a built-in tool name")
        return value

    @field_validator("parameters")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(value)
        except SchemaError as exc:
            path = "/".join(str(p) for p in exc.path) or "(root)"
            raise ValueError(f"parameters is not a valid JSON Schema at {path}: {exc.message}") from None
        if value.get("type") != "object":
            raise ValueError('parameters must be a JSON Schema with "type": "object"')
        return value

    def openai_spec(self) -> dict[str, Any]:
        """The tool as OpenAI chat-completions ``tools`` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }
