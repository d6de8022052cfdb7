"""Finance's view: GET /v1/costs totals per day and month, checked against figures worked out by hand.

Bundled price table (2026-11-01): Twilio 0.0085/min (per started minute), Telnyx 0.0035/min,
Deepgram nova-3 0.0077/min, gpt-4o-mini 0.15 in / 0.60 out per million tokens, Cartesia sonic-3
0.03 per thousand characters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from switchboard.cost_ledger import record_call_cost
from switchboard.models import UsageRecord
from switchboard.pricing import load_price_table, price_call

from ._api import call

CALLS = [
    # call 1, 3 Nov: 95 s -> 2 min x 0.0085 = 0.017; STT 1 min = 0.0077; LLM 4000 x 0.15e-6 + 500 x 0.6e-6 = 0.0009;
    # TTS 800 chars = 0.024. Total 0.0496
    ("ten_a", "call_1", datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
     UsageRecord(carrier="twilio", call_seconds=95, stt_seconds=60, llm_input_tokens=4000, llm_output_tokens=500,
                 tts_characters=800)),
    # call 2, 3 Nov: 30 s -> 1 min x 0.0035 = 0.0035; STT 0.5 min = 0.00385; LLM 1000 x 0.15e-6 + 200 x 0.6e-6
    # = 0.00027; TTS 100 chars = 0.003. Total 0.01062
    ("ten_a", "call_2", datetime(2026, 11, 3, 23, 59, tzinfo=UTC),
     UsageRecord(carrier="telnyx", call_seconds=30, stt_seconds=30, llm_input_tokens=1000, llm_output_tokens=200,
                 tts_characters=100)),
    # call 3, 1 Dec: 60 s -> 1 min x 0.0085 = 0.0085, nothing else
    ("ten_a", "call_3", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), UsageRecord(carrier="twilio", call_seconds=60)),
    # tenant B's call on 3 Nov must not count for A
    ("ten_b", "call_b", datetime(2026, 11, 3, 12, 0, tzinfo=UTC), UsageRecord(carrier="twilio", call_seconds=600)),
]


@pytest.fixture
def ledger(table: Any, tenants: tuple[str, str]) -> None:
    prices = load_price_table()
    for tenant_id, call_id, started_at, usage in CALLS:
        record_call_cost(table, tenant_id, call_id, price_call(usage, prices), started_at=started_at)


def rounded(totals: list[dict[str, Any]]) -> list[tuple[str, int, float, dict[str, float]]]:
    return [(t["period"], t["calls"], round(t["total_usd"], 8), {k: round(v, 8) for k, v in t["by_layer"].items()})
            for t in totals]


def test_day_totals_match_the_hand_computed_figures(ledger: None) -> None:
    response = call("GET", "/v1/costs", tenant_id="ten_a", query={"since": "2026-11-01", "until": "2026-11-30"})

    assert response.status == 200, response.text
    body = response.json()
    assert (body["period"], body["since"], body["until"], body["currency"]) == ("day", "2026-11-01", "2026-11-30",
                                                                                 "USD")
    # 3 Nov: 0.0496 + 0.01062 = 0.06022
    assert rounded(body["totals"]) == [
        ("2026-11-03", 2, 0.06022, {"llm": 0.00117, "stt": 0.01155, "telephony": 0.0205, "tts": 0.027}),
    ]
    assert round(body["total_usd"], 8) == 0.06022


def test_month_totals_match_the_hand_computed_figures(ledger: None) -> None:
    response = call("GET", "/v1/costs", tenant_id="ten_a",
                    query={"period": "month", "since": "2026-11-01", "until": "2026-12-31"})

    assert response.status == 200, response.text
    assert [(p, n, usd) for p, n, usd, _ in rounded(response.json()["totals"])] == [
        ("2026-11", 2, 0.06022),
        ("2026-12", 1, 0.0085),
    ]
    assert round(response.json()["total_usd"], 8) == 0.06872


def test_a_backwards_or_overlong_range_is_a_400(tenants: tuple[str, str]) -> None:
    backwards = call("GET", "/v1/costs", tenant_id="ten_a", query={"since": "2026-11-02", "until": "2026-11-01"})
    overlong = call("GET", "/v1/costs", tenant_id="ten_a", query={"since": "2020-01-01", "until": "2026-11-01"})
    bad_period = call("GET", "/v1/costs", tenant_id="ten_a", query={"period": "week"})

    for response in (backwards, overlong):
        assert response.status == 400 and response.content_type == "application/problem+json", response.text
    assert bad_period.status == 422
