"""Prompt, grammar and clause helpers of the offline providers (pure; no models needed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from media_worker.providers.offline import prompting
from media_worker.providers.offline.piper_tts import split_clauses

TICKET_SPEC: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "create_support_ticket",
        "description": "Create a support ticket in our system",
        "parameters": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "priority": {"enum": ["low", "medium", "high"]},
                "customer_email": {"type": "string"},
            },
        },
    },
}
END_CALL_SPEC: dict[str, Any] = {
    "type": "function",
    "function": {"name": "end_call", "description": "End the call.", "parameters": {"type": "object"}},
}


def fake_gbnf(schema: str, order: list[str]) -> str:
    return f"root ::= json # {schema} {order}\n"


def test_grammar_offers_reply_or_a_call_matching_the_tool_schemas() -> None:
    # given two tools
    tools = prompting.tools_from_specs([TICKET_SPEC, END_CALL_SPEC])
    # when the grammar is built
    grammar = prompting.grammar(tools, fake_gbnf)
    # then the root is reply-or-call, and the call rule is the converted schema of both tools
    assert grammar.startswith("root ::= reply | call\n")
    assert "call ::= json" in grammar and "root ::= json" not in grammar
    schema = prompting.call_schema(tools)
    names = [alt["properties"]["name"]["const"] for alt in schema["oneOf"]]
    assert names == ["create_support_ticket", "end_call"]
    ticket_args = schema["oneOf"][0]["properties"]["arguments"]
    assert ticket_args["additionalProperties"] is False
    assert ticket_args["properties"]["priority"] == {"enum": ["low", "medium", "high"]}


def test_without_tools_the_grammar_allows_only_a_spoken_reply() -> None:
    assert prompting.grammar([], fake_gbnf).startswith("root ::= reply\n")
    assert "call" not in prompting.grammar([], fake_gbnf)


def test_render_writes_chatml_with_tool_calls_as_the_grammar_json() -> None:
    # given a conversation with a tool call and its result
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Open a ticket"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "t", "arguments": '{"summary": "x"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"id": 7}'},
    ]
    # when rendered
    text = prompting.render(messages)
    # then each message is a ChatML block, the call is JSON, and the assistant turn is open
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nOpen a ticket<|im_end|>\n"
        '<|im_start|>assistant\n{"name": "t", "arguments": {"summary": "x"}}<|im_end|>\n'
        '<|im_start|>tool\nTool result: {"id": 7}<|im_end|>\n'
        "<|im_start|>assistant\n"
    )


def test_examples_show_each_tool_and_end_with_a_spoken_answer() -> None:
    # given the ticket tool and end_call
    tools = prompting.tools_from_specs([TICKET_SPEC, END_CALL_SPEC])
    # when the few-shot examples are built
    turns = prompting.examples(tools)
    # then end_call's example comes first, each tool is called at least once with valid JSON
    called = [c["function"] for t in turns for c in t.get("tool_calls", [])]
    assert called[0]["name"] == "end_call"
    assert {c["name"] for c in called} == {"end_call", "create_support_ticket"}
    assert all(isinstance(json.loads(c["arguments"]), dict) for c in called)
    # and the last example is a question answered in words, not a call
    assert turns[-1]["role"] == "assistant" and turns[-1]["content"]


def test_a_tool_without_a_worked_example_gets_a_generic_one() -> None:
    spec = {
        "type": "function",
        "function": {
            "name": "book_visit",
            "description": "Book a technician visit.",
            "parameters": {
                "type": "object",
                "properties": {"slot": {"enum": ["am", "pm"]}, "address": {"type": "string"}},
                "required": ["address"],
            },
        },
    }
    turns = prompting.examples(prompting.tools_from_specs([spec]))
    calls = [c["function"] for t in turns for c in t.get("tool_calls", [])]
    assert calls == [{"name": "book_visit", "arguments": json.dumps({"slot": "am", "address": "as the caller said"})}]


def test_parse_call_returns_name_and_arguments_json() -> None:
    name, arguments = prompting.parse_call('{"name": "create_support_ticket", "arguments": {"summary": "x"}}')
    assert name == "create_support_ticket"
    assert json.loads(arguments) == {"summary": "x"}


@pytest.mark.parametrize("text", ["{", "[]", '{"arguments": {}}', '{"name": "t", "arguments": [1]}'])
def test_parse_call_rejects_malformed_output(text: str) -> None:
    with pytest.raises(ValueError):
        prompting.parse_call(text)


def test_split_clauses_cuts_after_sentences_and_long_comma_clauses() -> None:
    # given streamed text with two sentences, a long comma clause and an unfinished tail
    text = "Sure. I can help with that, and I will open a ticket for you right now, okay? Let me"
    # when split
    clauses, rest = split_clauses(text, min_comma_clause=24)
    # then the short comma clause stays joined, the long one is cut, and the tail waits
    assert clauses == ["Sure.", "I can help with that, and I will open a ticket for you right now,", "okay?"]
    assert rest == "Let me"
