"""CallConfig built from the shared Assistant contract."""

from __future__ import annotations

from media_worker.core import CallConfig, Phrases
from switchboard.models import Assistant, ToolDefinition, TurnTaking

SCHEMA = {"type": "object", "properties": {"date": {"type": "string"}}}


def test_from_assistant_copies_prompt_thresholds_and_tools() -> None:
    assistant = Assistant(
        assistant_id="a1",
        tenant_id="t1",
        name="Front desk",
        system_prompt="Be brief.",
        first_message="Hi!",
        turn_taking=TurnTaking(
            silence_fallback_ms=700,
            hold_incomplete_ms=900,
            idle_prompt_after_s=5.0,
            idle_hangup_after_s=12.0,
            max_duration_s=600.0,
            barge_in_min_words=2,
        ),
        tools=(
            ToolDefinition(
                name="book",
                description="Book a table",
                parameters=SCHEMA,
                webhook_url="https://example.com/hook",  # type: ignore[arg-type]
                timeout_ms=3000,
                slow_after_ms=400,
                filler_phrase="One sec.",
            ),
        ),
    )
    cfg = CallConfig.from_assistant(assistant, transfer_destinations=("+14155550100",), phrases=Phrases(goodbye="Bye"))
    assert (cfg.system_prompt, cfg.first_message, cfg.language) == ("Be brief.", "Hi!", "en")
    p = cfg.policy
    assert (p.silence_fallback_ms, p.hold_incomplete_ms, p.barge_in_min_words) == (700.0, 900.0, 2)
    assert (p.idle_prompt_after_ms, p.idle_hangup_after_ms, p.max_duration_ms) == (5000.0, 12000.0, 600_000.0)
    tool = cfg.tool("book")
    assert tool is not None and (tool.timeout_ms, tool.slow_after_ms, tool.filler_phrase) == (3000, 400, "One sec.")
    names = [t["function"]["name"] for t in cfg.openai_tools()]
    assert names == ["book", "end_call", "transfer_call"]
    assert cfg.phrases.goodbye == "Bye"


def test_transfer_call_is_offered_only_for_an_assistant_with_destinations() -> None:
    base = {"assistant_id": "as_1", "tenant_id": "tn_1", "name": "n", "system_prompt": "p"}
    without = CallConfig.from_assistant(Assistant.from_wire(base))
    with_numbers = CallConfig.from_assistant(Assistant.from_wire({**base, "transfer_destinations": ["+14155550199"]}))

    def names(config: CallConfig) -> set[str]:
        return {spec["function"]["name"] for spec in config.openai_tools()}

    assert "transfer_call" not in names(without)
    assert "transfer_call" in names(with_numbers)
    assert with_numbers.transfer_destinations == ("+14155550199",)
