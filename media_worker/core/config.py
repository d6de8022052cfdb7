"""What the call loop needs to know about the assistant, as plain frozen dataclasses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from switchboard.models import Assistant

END_CALL_TOOL = "end_call"
TRANSFER_CALL_TOOL = "transfer_call"

DEFAULT_BACKCHANNELS = frozenset(
    {
        "mm", "mhm", "mmm", "hmm", "hm", "mm-hmm", "uh-huh", "uh", "um", "ah", "oh",
        "yeah", "yep", "yes", "okay", "ok", "right", "sure", "alright",
    }
)  # fmt: skip
"""Words that, alone, acknowledge the agent rather than interrupt it."""


@dataclass(frozen=True, slots=True)
class TurnPolicy:
    """Turn-taking thresholds, in milliseconds."""

    silence_fallback_ms: float = 900.0
    hold_incomplete_ms: float = 1200.0
    barge_in_min_words: int = 1
    barge_in_min_ms: float = 250.0
    idle_prompt_after_ms: float = 8000.0
    idle_hangup_after_ms: float = 20000.0
    max_duration_ms: float = 1_800_000.0
    dtmf_flush_ms: float = 1500.0
    mark_interval_ms: float = 200.0
    first_clause_min_words: int = 4
    end_grace_ms: float = 15000.0
    """After a goodbye, end the call this long after it started even if playback never confirms."""


@dataclass(frozen=True, slots=True)
class Phrases:
    """Fixed things the agent says on its own."""

    idle_prompt: str = "Are you still there?"
    apology: str = "I'm sorry, I'm having trouble right now. Could you say that again?"
    goodbye: str = "Thank you for calling. Goodbye!"
    max_duration_goodbye: str = "I'm sorry, we've reached the time limit for this call. Goodbye!"
    transfer_announcement: str = "Please hold while I transfer your call."
    tool_filler: str = "One moment, please."


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A webhook tool the LLM may call."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    timeout_ms: int = 5000
    slow_after_ms: int = 700
    filler_phrase: str | None = None

    def openai_spec(self) -> dict[str, Any]:
        params = json.loads(json.dumps(self.parameters))
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }


@dataclass(frozen=True, slots=True)
class CallConfig:
    """Everything the pure call loop reads from the assistant configuration."""

    system_prompt: str
    first_message: str = ""
    language: str = "en"
    tools: tuple[ToolSpec, ...] = ()
    policy: TurnPolicy = field(default_factory=TurnPolicy)
    phrases: Phrases = field(default_factory=Phrases)
    transfer_destinations: tuple[str, ...] = ()
    """E.164 numbers ``transfer_call`` may use; the tool is offered only when non-empty."""
    backchannel_words: frozenset[str] = DEFAULT_BACKCHANNELS

    @classmethod
    def from_assistant(
        cls,
        assistant: Assistant,
        *,
        transfer_destinations: tuple[str, ...] | None = None,
        phrases: Phrases | None = None,
    ) -> CallConfig:
        tt = assistant.turn_taking
        policy = TurnPolicy(
            silence_fallback_ms=float(tt.silence_fallback_ms),
            hold_incomplete_ms=float(tt.hold_incomplete_ms),
            barge_in_min_words=tt.barge_in_min_words,
            barge_in_min_ms=float(tt.barge_in_min_ms),
            idle_prompt_after_ms=tt.idle_prompt_after_s * 1000.0,
            idle_hangup_after_ms=tt.idle_hangup_after_s * 1000.0,
            max_duration_ms=tt.max_duration_s * 1000.0,
        )
        tools = tuple(
            ToolSpec(
                name=t.name,
                description=t.description,
                parameters=t.parameters,
                timeout_ms=t.timeout_ms,
                slow_after_ms=t.slow_after_ms,
                filler_phrase=t.filler_phrase,
            )
            for t in assistant.tools
        )
        return cls(
            system_prompt=assistant.system_prompt,
            first_message=assistant.first_message,
            language=assistant.language,
            tools=tools,
            policy=policy,
            phrases=phrases or Phrases(),
            transfer_destinations=(
                tuple(assistant.transfer_destinations) if transfer_destinations is None else transfer_destinations
            ),
        )

    def tool(self, name: str) -> ToolSpec | None:
        return next((t for t in self.tools if t.name == name), None)

    def openai_tools(self) -> tuple[dict[str, Any], ...]:
        """The webhook tools plus the built-in ``end_call`` (and ``transfer_call`` when allowed)."""
        specs = [t.openai_spec() for t in self.tools]
        specs.append(_end_call_spec())
        if self.transfer_destinations:
            specs.append(_transfer_spec(self.transfer_destinations))
        return tuple(specs)


def _end_call_spec() -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": END_CALL_TOOL,
            "description": "End the call after saying goodbye. Use when the caller is done or asks to hang up.",
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    }


def _transfer_spec(destinations: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": TRANSFER_CALL_TOOL,
            "description": "Transfer the caller to a human at one of the allowed numbers.",
            "parameters": {
                "type": "object",
                "properties": {"destination": {"type": "string", "enum": list(destinations)}},
                "required": ["destination"],
                "additionalProperties": False,
            },
        },
    }
