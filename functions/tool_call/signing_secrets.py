"""Tool signing secrets from Secrets Manager, cached per container and confined to the tenant's namespace.

A tool names its secret (``ToolDefinition.signing_secret_ref``, a name or ARN). The name must lie
under ``switchboard/{stage}/tenants/{tenant_id}/``: otherwise a tenant could make the platform
HMAC chosen messages with another tenant's secret or a platform key. The secret value is the
secret string itself, or a JSON object with a ``signing_secret`` field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.errors import NotFound, SwitchboardError

SECRET_FIELD = "signing_secret"


class ForeignSecret(SwitchboardError):
    """The tool names a secret outside its tenant's namespace."""


def tenant_secret_prefix(stage: str, tenant_id: str) -> str:
    return f"switchboard/{stage}/tenants/{tenant_id}/"


def secret_name(ref: str) -> str:
    """The secret's name, from a name or an ARN (``arn:aws:secretsmanager:...:secret:NAME-AbCdEf``)."""
    if ref.startswith("arn:"):
        parts = ref.split(":", 6)
        return parts[6] if len(parts) == 7 else ""
    return ref


class SigningSecrets:
    def __init__(
        self, client: Any, *, stage: str, max_age_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._stage = stage
        self._max_age_s = max_age_s
        self._clock = clock
        self._values: dict[str, tuple[float, str]] = {}

    def get(self, tenant_id: str, ref: str) -> str:
        """The secret for *ref*; :class:`ForeignSecret` or :class:`NotFound` (never the value in a message)."""
        name = secret_name(ref)
        if not name.startswith(tenant_secret_prefix(self._stage, tenant_id)) or ".." in name:
            raise ForeignSecret("the tool's signing secret is outside the tenant's namespace")
        now = self._clock()
        cached = self._values.get(ref)
        if cached is not None and now - cached[0] < self._max_age_s:
            return cached[1]
        try:
            raw = str(self._client.get_secret_value(SecretId=ref)["SecretString"])
        except (ClientError, BotoCoreError, KeyError):
            raise NotFound("the tool's signing secret could not be read") from None
        value = _secret_value(raw)
        if not value:
            raise NotFound("the tool's signing secret is empty")
        self._values[ref] = (now, value)
        return value


def _secret_value(raw: str) -> str:
    if raw.lstrip().startswith("{"):
        try:
            document = json.loads(raw)
        except ValueError:
            return raw
        value = document.get(SECRET_FIELD) if isinstance(document, dict) else None
        return value if isinstance(value, str) else ""
    return raw
