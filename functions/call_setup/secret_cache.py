"""Secrets Manager values cached per container (they are on the caller's path; fetching costs a round trip)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


class SecretCache:
    def __init__(self, client: Any, *, max_age_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._max_age_s = max_age_s
        self._clock = clock
        self._values: dict[str, tuple[float, str]] = {}

    def text(self, secret_id: str) -> str:
        cached = self._values.get(secret_id)
        now = self._clock()
        if cached is not None and now - cached[0] < self._max_age_s:
            return cached[1]
        value = str(self._client.get_secret_value(SecretId=secret_id)["SecretString"])
        self._values[secret_id] = (now, value)
        return value

    def json_field(self, secret_id: str, field: str) -> str:
        """One string field of a JSON secret (``""`` when absent)."""
        document = json.loads(self.text(secret_id))
        value = document.get(field, "") if isinstance(document, dict) else ""
        return value if isinstance(value, str) else ""
