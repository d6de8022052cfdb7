"""JSON helpers shared by the carrier codecs. Internal: parse functions turn :class:`BadFrame` into values."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from .types import MAX_FRAME_CHARS, MediaFormat


class BadFrame(Exception):
    """Raised inside a codec, caught by its ``parse`` and returned as ``MalformedFrame``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load(text: str | bytes) -> tuple[str, dict[str, Any]]:
    """``(event name, message)`` of a frame; raises :class:`BadFrame`."""
    if len(text) > MAX_FRAME_CHARS:
        raise BadFrame(f"frame of {len(text)} characters exceeds {MAX_FRAME_CHARS}")
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BadFrame("not valid JSON") from None
    if not isinstance(message, dict):
        raise BadFrame("not a JSON object")
    event = message.get("event")
    if not isinstance(event, str) or not event:
        raise BadFrame("no event name")
    return event, message


def section(message: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any]:
    value = message.get(key)
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise BadFrame(f"missing object {key!r}")


def text(message: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = message.get(key)
    if value is None or value == "":
        if required:
            raise BadFrame(f"missing {key!r}")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadFrame(f"missing or invalid {key!r}")


def required_text(message: Mapping[str, Any], key: str) -> str:
    value = text(message, key, required=True)
    if value is None:
        raise BadFrame(f"missing {key!r}")
    return value


def integer(message: Mapping[str, Any], key: str) -> int | None:
    """An integer field that carriers send as a number or a decimal string."""
    value = message.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadFrame(f"invalid {key!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BadFrame(f"invalid {key!r}")


def payload(message: Mapping[str, Any]) -> bytes:
    raw = message.get("payload")
    if not isinstance(raw, str):
        raise BadFrame("missing media payload")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadFrame("media payload is not valid base64") from None


def string_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadFrame("custom parameters must be an object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def media_format(value: Any, *, rate_key: str) -> MediaFormat | None:
    if not isinstance(value, dict):
        return None
    encoding = value.get("encoding")
    rate = integer(value, rate_key)
    channels = integer(value, "channels")
    if not isinstance(encoding, str) or rate is None:
        raise BadFrame("invalid media format")
    return MediaFormat(encoding=encoding, sample_rate=rate, channels=channels or 1)


def dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
