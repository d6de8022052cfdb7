"""Pure prompt building for a small local chat model: ChatML rendering of OpenAI-shaped messages,
few-shot examples, and a GBNF grammar that makes every reply either one spoken line or one tool
call as JSON: ``{"name": "<tool>", "arguments": {...}}``.

A 135M-parameter model cannot be trusted to produce OpenAI tool-call syntax by itself (half of
its free outputs are not valid JSON). The grammar makes every tool call well-formed and the
arguments match the tool's JSON schema; the examples teach when to call. The choice of *whether*
to call, and the argument values, remain the model's and are often wrong: see local_llm.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from media_worker.providers.base import Message, ToolSpec

CALL_START = "{"

REPLY_RULES = (
    r'reply ::= sentence (" " sentence)?'
    "\n"
    r"sentence ::= [A-Za-z0-9'\"] [^.!?{}\n]* [.!?]"
    "\n"
)
"""A spoken reply: one or two sentences; never ``{`` (that starts a tool call). Bounding the
sentence count stops the small model's habit of repeating a sentence until max_tokens. (A
bounded repetition such as ``{0,160}`` inside a sentence made grammar sampling ~2x slower.)"""

TOOL_INSTRUCTIONS = (
    "You are on a phone call. Reply with one or two short, friendly spoken sentences. "
    "When the caller asks for something a tool does, reply with only the tool call as JSON: "
    '{"name": "<tool name>", "arguments": {...}}. Tools:\n'
)

# Worked examples per tool: (user line, arguments, spoken reply after the tool result or None).
# end_call's comes first and the others last: a small model leans towards the latest example.
KNOWN_EXAMPLES: dict[str, tuple[tuple[str, dict[str, Any], str | None], ...]] = {
    "end_call": (("That's all I needed, thanks. Bye!", {}, None),),
    "create_support_ticket": (
        (
            "My internet has been down since this morning, please open a ticket. It's urgent.",
            {"summary": "Internet down since this morning", "priority": "high"},
            "Done. Your ticket number is T-1001. Anything else?",
        ),
        (
            "Can you log a ticket for me? The office printer keeps jamming.",
            {"summary": "Office printer keeps jamming", "priority": "medium"},
            "I've logged that as ticket T-1002. Anything else I can do?",
        ),
    ),
}
FIRST_EXAMPLES = ("end_call",)

SMALL_TALK: tuple[tuple[str, str], ...] = (
    ("Hi there!", "Hello! Thanks for calling. How can I help you today?"),
    ("What are your opening hours?", "We're open Monday to Friday, nine to five."),
    ("What can you help me with?", "I can answer your questions and take care of requests. What do you need?"),
)
"""Spoken-reply examples, interleaved with the tool examples so that questions keep getting
answers (a small model otherwise calls a tool for whatever follows a run of tool examples)."""


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    parameters: Mapping[str, Any]


def tools_from_specs(specs: Sequence[ToolSpec]) -> list[Tool]:
    """OpenAI ``{"type": "function", "function": {...}}`` specs (or bare function objects)."""
    tools = []
    for spec in specs:
        fn = spec.get("function", spec)
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        tools.append(Tool(str(fn["name"]), str(fn.get("description", "")), params))
    return tools


def call_schema(tools: Sequence[Tool]) -> dict[str, Any]:
    """A JSON schema matching exactly one call of one of ``tools``."""
    alternatives = []
    for tool in tools:
        arguments = {key: value for key, value in tool.parameters.items() if key != "description"}
        arguments.setdefault("type", "object")
        arguments.setdefault("properties", {})
        arguments["additionalProperties"] = False
        alternatives.append(
            {
                "type": "object",
                "properties": {"name": {"const": tool.name}, "arguments": arguments},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return {"oneOf": alternatives}


def grammar(tools: Sequence[Tool], schema_to_gbnf: Callable[[str, list[str]], str]) -> str:
    """GBNF for ``reply | call``; just ``reply`` when no tool may be called."""
    if not tools:
        return f"root ::= reply\n{REPLY_RULES}"
    call = schema_to_gbnf(json.dumps(call_schema(tools)), ["name", "arguments"])
    call = call.replace("root ::=", "call ::=", 1)
    return f"root ::= reply | call\n{REPLY_RULES}{call}"


def system_text(system_prompt: str, tools: Sequence[Tool]) -> str:
    if not tools:
        return system_prompt
    lines = [f"- {t.name}: {t.description} Arguments: {json.dumps(_argument_names(t))}" for t in tools]
    return f"{system_prompt}\n\n{TOOL_INSTRUCTIONS}" + "\n".join(lines)


def examples(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """Few-shot turns (OpenAI-shaped) placed between the system prompt and the conversation."""
    first = [t for t in tools if t.name in FIRST_EXAMPLES]
    rest = [t for t in tools if t.name not in FIRST_EXAMPLES]
    tool_blocks = [block for tool in first for block in _tool_turns(tool)]
    talk = [[{"role": "user", "content": user}, {"role": "assistant", "content": reply}] for user, reply in SMALL_TALK]
    blocks = tool_blocks + talk[:1]
    later = [block for tool in rest for block in _tool_turns(tool)]
    for i, block in enumerate(later):
        blocks.append(block)
        blocks += talk[1 + i : 2 + i]
    blocks += talk[1 + len(later) :]
    return [turn for block in blocks for turn in block]


def _tool_turns(tool: Tool) -> list[list[dict[str, Any]]]:
    """One block of turns per worked example of ``tool``."""
    blocks: list[list[dict[str, Any]]] = []
    for n, (user, arguments, after) in enumerate(KNOWN_EXAMPLES.get(tool.name) or (_generic_example(tool),)):
        function = {"name": tool.name, "arguments": json.dumps(arguments)}
        call: dict[str, Any] = {"id": f"example_{tool.name}_{n}", "type": "function", "function": function}
        turns: list[dict[str, Any]] = [
            {"role": "user", "content": user},
            {"role": "assistant", "content": None, "tool_calls": [call]},
        ]
        if after is not None:
            turns += [
                {"role": "tool", "tool_call_id": call["id"], "content": '{"ok": true}'},
                {"role": "assistant", "content": after},
            ]
        blocks.append(turns)
    return blocks


def render(messages: Sequence[Message], *, generation: bool = True) -> str:
    """ChatML (SmolLM2, Qwen...). Tool calls render as the JSON the grammar produces."""
    parts = []
    for message in messages:
        role = str(message.get("role", "user"))
        content = message.get("content") or ""
        calls = message.get("tool_calls") or ()
        if calls:
            content = "\n".join(_call_text(c) for c in calls)
        if role == "tool":
            content = f"Tool result: {content}"
        parts.append(f"<|im_start|>{role}\n{content}<|im_end|>\n")
    if generation:
        parts.append("<|im_start|>assistant\n")
    return "".join(parts)


def parse_call(text: str) -> tuple[str, str]:
    """(tool name, arguments JSON) from grammar-constrained output; ValueError if malformed."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ValueError("not a tool call")
    arguments = data.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ValueError("tool call arguments are not an object")
    return data["name"], json.dumps(arguments)


def _call_text(call: Mapping[str, Any]) -> str:
    fn = call.get("function", {})
    try:
        arguments = json.loads(fn.get("arguments") or "{}")
    except json.JSONDecodeError:
        arguments = {}
    return json.dumps({"name": fn.get("name", ""), "arguments": arguments})


def _argument_names(tool: Tool) -> dict[str, Any]:
    properties = tool.parameters.get("properties", {})
    return {name: prop.get("enum", prop.get("type", "any")) for name, prop in properties.items()}


def _generic_example(tool: Tool) -> tuple[str, dict[str, Any], str | None]:
    properties = tool.parameters.get("properties", {})
    arguments: dict[str, Any] = {}
    for name, prop in properties.items():
        if "enum" in prop:
            arguments[name] = prop["enum"][0]
        elif prop.get("type") == "string" and name in tool.parameters.get("required", ()):
            arguments[name] = "as the caller said"
    request = tool.description.rstrip(".") or tool.name.replace("_", " ")
    return f"Please {request[0].lower()}{request[1:]}.", arguments, "Done. Anything else?"
