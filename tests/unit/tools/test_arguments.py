"""Tool arguments are checked against the tool's JSON Schema; problems are phrased for the LLM."""

from __future__ import annotations

from switchboard.tools import argument_problems, parse_arguments

SCHEMA = {
    "type": "object",
    "properties": {"date": {"type": "string"}, "party": {"type": "integer", "minimum": 1}},
    "required": ["date"],
    "additionalProperties": False,
}


def test_valid_arguments_have_no_problems() -> None:
    assert argument_problems(SCHEMA, {"date": "friday", "party": 2}) == []


def test_every_problem_names_where_it_is() -> None:
    problems = argument_problems(SCHEMA, {"party": 0, "extra": True})
    assert len(problems) == 3
    assert any(p.startswith("party: ") for p in problems)
    assert any("'date' is a required property" in p for p in problems)
    assert any("extra" in p for p in problems)


def test_a_non_object_is_a_problem() -> None:
    assert argument_problems(SCHEMA, ["friday"]) == ["arguments must be a JSON object"]


def test_parse_arguments_reports_what_the_llm_got_wrong() -> None:
    assert parse_arguments('{"date": "friday"}') == ({"date": "friday"}, None)
    assert parse_arguments("") == ({}, None)
    assert parse_arguments("{date: friday") == (None, "arguments are not valid JSON")
    assert parse_arguments("[1]") == (None, "arguments must be a JSON object")
