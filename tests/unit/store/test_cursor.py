"""Cursors: opaque round trip; forged or foreign cursors are a typed error, never a DynamoDB failure."""

from __future__ import annotations

import base64
import json

import pytest

from switchboard.store import InvalidCursor
from switchboard.store._pages import decode_cursor, encode_cursor


def _forge(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_round_trip() -> None:
    key = {"pk": "TENANT#a", "sk": "ASSISTANT#x"}

    cursor = encode_cursor(key)

    assert cursor is not None and "TENANT" not in cursor
    assert decode_cursor(cursor, equals={"pk": "TENANT#a"}, prefixes={"sk": "ASSISTANT#"}) == key


def test_no_last_key_means_no_cursor() -> None:
    assert encode_cursor(None) is None and encode_cursor({}) is None
    assert decode_cursor(None, equals={"pk": "TENANT#a"}) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        _forge(["pk"]),
        _forge({}),
        _forge({"pk": "TENANT#b", "sk": "ASSISTANT#x"}),  # another tenant
        _forge({"pk": "TENANT#a", "sk": "CALL#x"}),  # another listing
        _forge({"pk": "TENANT#a", "sk": 5}),
        _forge({"pk": "TENANT#a", "sk": "ASSISTANT#x", "other": "y"}),
    ],
)
def test_forged_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, equals={"pk": "TENANT#a"}, prefixes={"sk": "ASSISTANT#"})
