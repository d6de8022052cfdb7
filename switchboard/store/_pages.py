"""Opaque pagination cursors: a DynamoDB ``LastEvaluatedKey`` wrapped for clients, checked on return.

A cursor names a position inside one tenant's partition. :func:`decode_cursor` rejects a cursor
whose keys point anywhere else, so a forged cursor can neither read another tenant's records
nor make DynamoDB fail.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import SwitchboardError
from ._table import KEY_ATTRIBUTES

T = TypeVar("T")

MAX_PAGE_SIZE = 100


class InvalidCursor(SwitchboardError, ValueError):
    """A pagination cursor that this store did not issue for this listing."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    cursor: str | None
    """Pass back to get the next page; ``None`` on the last page."""


def encode_cursor(last_key: Mapping[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(dict(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, *, equals: Mapping[str, str], prefixes: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The ``ExclusiveStartKey`` for *cursor*; every key in *equals* must match exactly and every
    key in *prefixes* must start with its prefix. Raises :class:`InvalidCursor` otherwise."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor("cursor is not one this API issued") from None
    if not isinstance(key, dict) or not key or not all(isinstance(v, str) for v in key.values()):
        raise InvalidCursor("cursor is not one this API issued")
    if not set(key) <= KEY_ATTRIBUTES or set(equals) - set(key) or set(prefixes or {}) - set(key):
        raise InvalidCursor("cursor is not one this API issued")
    if any(key[name] != value for name, value in equals.items()):
        raise InvalidCursor("cursor belongs to a different listing")
    if any(not key[name].startswith(prefix) for name, prefix in (prefixes or {}).items()):
        raise InvalidCursor("cursor belongs to a different listing")
    return {k: str(v) for k, v in key.items()}


def page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    return limit


def query_page(table: Any, kwargs: dict[str, Any], *, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Run a base-table query for one page: read one item more than *limit* so the last page has no cursor."""
    size = page_size(limit)
    response = table.query(**kwargs, Limit=size + 1)
    items: list[dict[str, Any]] = response.get("Items", [])
    if len(items) <= size:
        return items, None
    last = items[size - 1]
    return items[:size], encode_cursor({"pk": last["pk"], "sk": last["sk"]})
