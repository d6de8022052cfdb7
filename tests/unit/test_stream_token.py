from __future__ import annotations

import pytest

from switchboard.errors import StreamTokenError
from switchboard.stream_token import (
    InMemoryTokenLedger,
    issue_stream_token,
    redeem_stream_token,
    verify_stream_token,
)

SECRET = b"k" * 32
T0 = 1_800_000_000.0


def a_token(**kw: float) -> str:
    return issue_stream_token(SECRET, tenant_id="tn_1", call_id="ca_1", assistant_id="as_1", now=T0, **kw)


def test_a_fresh_token_yields_its_bound_claims() -> None:
    claims = verify_stream_token(SECRET, a_token(), now=T0 + 1)
    assert (claims.tenant_id, claims.call_id, claims.assistant_id) == ("tn_1", "ca_1", "as_1")
    assert claims.expires_at == T0 + 120


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "missing"), ("", "missing"), ("no-dot", "malformed"), (".sig", "malformed")],
)
def test_missing_or_malformed_tokens_are_rejected(token: str | None, reason: str) -> None:
    with pytest.raises(StreamTokenError) as info:
        verify_stream_token(SECRET, token, now=T0)
    assert info.value.reason == reason


def test_a_token_signed_with_another_secret_is_forged() -> None:
    with pytest.raises(StreamTokenError) as info:
        verify_stream_token(b"other" * 8, a_token(), now=T0)
    assert info.value.reason == "forged"


def test_tampered_claims_are_forged() -> None:
    payload, sig = a_token().split(".")
    other_payload = issue_stream_token(SECRET, tenant_id="tn_2", call_id="ca_1", assistant_id="as_1", now=T0)
    with pytest.raises(StreamTokenError) as info:
        verify_stream_token(SECRET, other_payload.split(".")[0] + "." + sig, now=T0)
    assert info.value.reason == "forged"
    assert payload != other_payload.split(".")[0]


def test_an_expired_token_is_rejected() -> None:
    with pytest.raises(StreamTokenError) as info:
        verify_stream_token(SECRET, a_token(ttl_s=30), now=T0 + 31)
    assert info.value.reason == "expired"


def test_a_token_can_be_redeemed_once() -> None:
    ledger = InMemoryTokenLedger(clock=lambda: T0)
    token = a_token()
    assert redeem_stream_token(SECRET, token, ledger, now=T0).call_id == "ca_1"
    with pytest.raises(StreamTokenError) as info:
        redeem_stream_token(SECRET, token, ledger, now=T0)
    assert info.value.reason == "reused"


def test_two_tokens_for_the_same_call_are_distinct() -> None:
    ledger = InMemoryTokenLedger(clock=lambda: T0)
    redeem_stream_token(SECRET, a_token(), ledger, now=T0)
    assert redeem_stream_token(SECRET, a_token(), ledger, now=T0).tenant_id == "tn_1"
