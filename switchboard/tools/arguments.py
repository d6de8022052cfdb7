"""Validation of an LLM's tool arguments against the tool's JSON Schema (2020-12).

Run by the media worker before any request leaves it, and again by the ``tool_call`` Lambda
(defence in depth: the Lambda must not trust its caller). Problems are phrased for the LLM, which
gets them back as an ``invalid_arguments`` result and can correct itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

MAX_PROBLEMS = 5


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def argument_problems(schema: Mapping[str, Any], arguments: Any) -> list[str]:
    """What is wrong with *arguments* for *schema* (empty when they are valid)."""
    if not isinstance(arguments, dict):
        return ["arguments must be a JSON object"]
    validator = _validator(json.dumps(schema, sort_keys=True))
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
        problems.append(f"{where}: {error.message}")
        if len(problems) == MAX_PROBLEMS:
            break
    return problems


def parse_arguments(arguments_json: str) -> tuple[dict[str, Any] | None, str | None]:
    """The arguments object of a tool call as the LLM wrote it, or why it is not one."""
    try:
        value = json.loads(arguments_json or "{}")
    except ValueError:
        return None, "arguments are not valid JSON"
    if not isinstance(value, dict):
        return None, "arguments must be a JSON object"
    return value, None
