"""Templates fill every provider setting, so a system prompt makes a valid assistant."""

from __future__ import annotations

import pytest

from switchboard.models import Assistant
from switchboard.templates import TEMPLATE_NAMES, apply_template, deep_merge


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_template_plus_a_prompt_is_a_valid_assistant(name: str) -> None:
    fields = apply_template(name, {"name": "Desk", "system_prompt": "Help callers book."})

    assistant = Assistant.from_wire({**fields, "assistant_id": "asst_1", "tenant_id": "ten_1"})

    assert assistant.system_prompt == "Help callers book."


def test_best_of_breed_english_is_deepgram_gpt4o_mini_cartesia() -> None:
    fields = apply_template("best-of-breed-english", {"name": "Desk", "system_prompt": "Hi."})

    assistant = Assistant.from_wire({**fields, "assistant_id": "asst_1", "tenant_id": "ten_1"})

    assert (assistant.stt.provider, assistant.stt.model) == ("deepgram", "nova-3")
    assert (assistant.llm.provider, assistant.llm.model) == ("openai", "gpt-4o-mini")
    assert (assistant.tts.provider, assistant.tts.model) == ("cartesia", "sonic-3")
    assert assistant.turn_taking.barge_in_min_words == 2


def test_caller_fields_merge_over_the_template_key_by_key() -> None:
    fields = apply_template(
        "best-of-breed-english", {"turn_taking": {"endpointing_ms": 150}, "stt": {"keyterms": ["Acme"]}}
    )

    assert fields["turn_taking"]["endpointing_ms"] == 150
    assert fields["turn_taking"]["hold_incomplete_ms"] == 1200
    assert fields["stt"]["model"] == "nova-3" and fields["stt"]["keyterms"] == ["Acme"]


def test_deep_merge_does_not_mutate_its_inputs() -> None:
    base = {"a": {"b": 1}}

    merged = deep_merge(base, {"a": {"c": 2}})

    assert merged == {"a": {"b": 1, "c": 2}} and base == {"a": {"b": 1}}


def test_unknown_template_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        apply_template("nope", {})
