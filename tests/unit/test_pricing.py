"""Pricing: the versioned table applied to a call's usage, checked against hand-computed figures."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from switchboard.models import UsageRecord
from switchboard.pricing import PriceNotFound, bundled_price_table, load_price_table, price_call


def test_bundled_table_prices_a_twilio_deepgram_openai_cartesia_call() -> None:
    # given a 3 min 5 s Twilio call: 150 s of STT, 12 000 in / 800 out tokens, 1 500 TTS characters
    usage = UsageRecord(
        carrier="twilio", call_seconds=185.0, stt_seconds=150.0,
        llm_input_tokens=12_000, llm_output_tokens=800, tts_characters=1_500,
    )
    # when
    cost = price_call(usage, bundled_price_table())
    # then each line matches the arithmetic by hand
    by_layer = {line.layer: line for line in cost.lines}
    # telephony: 185 s rounds up to 4 whole minutes x $0.0085 = $0.034
    assert by_layer["telephony"].quantity == 4.0
    assert by_layer["telephony"].usd == 0.034
    # stt: 150 s = 2.5 min x $0.0077 = $0.01925
    assert by_layer["stt"].usd == 0.01925
    # llm: 12 000 x $0.15/1M + 800 x $0.60/1M = 0.0018 + 0.00048 = $0.00228
    assert by_layer["llm"].usd == 0.00228
    assert by_layer["llm"].quantity == 12_800
    # tts: 1 500 chars = 1.5 thousand x $0.03 = $0.045
    assert by_layer["tts"].usd == 0.045
    # total: 0.034 + 0.01925 + 0.00228 + 0.045 = 0.10053
    assert cost.total_usd == 0.10053
    assert cost.price_table_version == "2026-11-01"


def test_telnyx_call_with_local_offline_providers_costs_only_telephony() -> None:
    # given a Telnyx call of exactly 60 s served by the offline providers
    usage = UsageRecord(
        carrier="telnyx", call_seconds=60.0,
        stt_provider="whisper_local", stt_model="tiny.en", stt_seconds=40.0,
        llm_provider="llama_local", llm_model="smollm2-135m", llm_input_tokens=5_000, llm_output_tokens=300,
        tts_provider="piper_local", tts_model="joe-medium", tts_characters=900,
    )
    # when
    cost = price_call(usage, bundled_price_table())
    # then 1 minute x $0.0035 and nothing else
    assert [(line.layer, line.usd) for line in cost.lines] == [
        ("telephony", 0.0035), ("stt", 0.0), ("llm", 0.0), ("tts", 0.0)
    ]
    assert cost.total_usd == 0.0035


def test_zero_length_call_costs_nothing() -> None:
    cost = price_call(UsageRecord(carrier="twilio"), bundled_price_table())
    assert cost.total_usd == 0.0
    assert all(line.usd == 0.0 for line in cost.lines)


def test_lines_round_half_up_and_total_is_sum_of_rounded_lines(tmp_path: Path) -> None:
    # given a table whose STT rate produces a value with a 7th decimal
    data = json.loads(Path("switchboard/price_table.json").read_text())
    data["version"] = "test-rounding"
    data["stt_per_minute"]["deepgram/nova-3"] = 0.0000015
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    table = load_price_table(path)
    # when 60 s of STT: 1 min x 0.0000015 = 0.0000015 -> rounds half up to 0.000002
    cost = price_call(UsageRecord(carrier="twilio", call_seconds=60, stt_seconds=60), table)
    # then
    assert {line.layer: line.usd for line in cost.lines}["stt"] == 0.000002
    assert cost.total_usd == float(Decimal("0.0085") + Decimal("0.000002"))
    assert cost.price_table_version == "test-rounding"


def test_unknown_model_is_a_typed_error() -> None:
    usage = UsageRecord(carrier="twilio", llm_model="gpt-unknown")
    with pytest.raises(PriceNotFound) as info:
        price_call(usage, bundled_price_table())
    assert (info.value.layer, info.value.key) == ("llm", "openai/gpt-unknown")


def test_table_from_env_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(Path("switchboard/price_table.json").read_text())
    data["version"] = "from-env"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("SWITCHBOARD_PRICE_TABLE", str(path))
    assert load_price_table().version == "from-env"
