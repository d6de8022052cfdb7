"""The versioned price table and the pure pricing of one call's usage.

``price_call(usage, table) -> CallCost`` turns a :class:`UsageRecord` into one
:class:`CostLine` per layer (telephony, STT, LLM, TTS). Arithmetic is in
``Decimal``; each line is rounded to :data:`USD_PLACES` decimal places (half up)
and the total is the sum of the rounded lines, so the lines always add up.

Prices are keyed ``provider/model``; ``provider/*`` matches any model of that
provider (used for the local offline providers, which cost nothing). Telephony
is keyed by carrier and billed in whole increments (Twilio and Telnyx round each
call up to the next minute). The table ships as ``price_table.json`` beside this
module; ``$SWITCHBOARD_PRICE_TABLE`` points at another file.
"""

from __future__ import annotations

import math
import os
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import Field

from .errors import SwitchboardError
from .models import CallCost, Contract, CostLine, UsageRecord

ENV_PRICE_TABLE = "SWITCHBOARD_PRICE_TABLE"
DEFAULT_PRICE_TABLE = Path(__file__).with_name("price_table.json")
USD_PLACES = 6
_QUANTUM = Decimal(1).scaleb(-USD_PLACES)
T = TypeVar("T")


class PriceNotFound(SwitchboardError):
    """The table has no price for a provider/model the call used."""

    def __init__(self, layer: str, key: str) -> None:
        super().__init__(f"no {layer} price for {key!r}")
        self.layer = layer
        self.key = key


class CarrierPrice(Contract):
    per_minute: Decimal = Field(ge=0)
    increment_seconds: int = Field(default=60, ge=1, le=60)


class TokenPrice(Contract):
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)


class PriceTable(Contract):
    version: str = Field(min_length=1, max_length=64)
    currency: str = "USD"
    notes: str = ""
    telephony_per_minute: dict[str, CarrierPrice]
    stt_per_minute: dict[str, Decimal]
    llm_per_million_tokens: dict[str, TokenPrice]
    tts_per_thousand_characters: dict[str, Decimal]


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """Read a price table (default: ``$SWITCHBOARD_PRICE_TABLE`` or the bundled one)."""
    chosen = Path(path or os.environ.get(ENV_PRICE_TABLE) or DEFAULT_PRICE_TABLE)
    return PriceTable.from_wire(chosen.read_text(encoding="utf-8"))


@cache
def bundled_price_table() -> PriceTable:
    return load_price_table(DEFAULT_PRICE_TABLE)


def _lookup(prices: dict[str, T], layer: str, provider: str, model: str) -> T:
    for key in (f"{provider}/{model}", f"{provider}/*"):
        if key in prices:
            return prices[key]
    raise PriceNotFound(layer, f"{provider}/{model}")


def _usd(value: Decimal) -> Decimal:
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def _line(layer: str, provider: str, model: str, quantity: Decimal, unit: str, usd: Decimal) -> CostLine:
    return CostLine.model_validate(
        {"layer": layer, "provider": provider, "model": model, "quantity": float(quantity), "unit": unit,
         "usd": float(usd)}
    )


def price_call(usage: UsageRecord, table: PriceTable) -> CallCost:
    """Each layer's cost of *usage* under *table*. Raises :class:`PriceNotFound` for an unpriced provider."""
    carrier = table.telephony_per_minute.get(usage.carrier)
    if carrier is None:
        raise PriceNotFound("telephony", usage.carrier)
    seconds = Decimal(str(usage.call_seconds))
    increments = math.ceil(seconds / carrier.increment_seconds) if seconds > 0 else 0
    billed_minutes = Decimal(increments * carrier.increment_seconds) / 60
    telephony = _usd(billed_minutes * carrier.per_minute)

    stt_rate = _lookup(table.stt_per_minute, "stt", usage.stt_provider, usage.stt_model)
    stt_minutes = Decimal(str(usage.stt_seconds)) / 60
    stt = _usd(stt_minutes * stt_rate)

    llm_rate = _lookup(table.llm_per_million_tokens, "llm", usage.llm_provider, usage.llm_model)
    tokens_in, tokens_out = Decimal(usage.llm_input_tokens), Decimal(usage.llm_output_tokens)
    llm = _usd((tokens_in * llm_rate.input + tokens_out * llm_rate.output) / 1_000_000)

    tts_rate = _lookup(table.tts_per_thousand_characters, "tts", usage.tts_provider, usage.tts_model)
    tts = _usd(Decimal(usage.tts_characters) / 1000 * tts_rate)

    lines = (
        _line("telephony", usage.carrier, "voice", billed_minutes, "minute", telephony),
        _line("stt", usage.stt_provider, usage.stt_model, _usd(stt_minutes), "minute", stt),
        _line("llm", usage.llm_provider, usage.llm_model, tokens_in + tokens_out, "token", llm),
        _line("tts", usage.tts_provider, usage.tts_model, Decimal(usage.tts_characters), "character", tts),
    )
    total = telephony + stt + llm + tts
    return CallCost(price_table_version=table.version, lines=lines, total_usd=float(total))
