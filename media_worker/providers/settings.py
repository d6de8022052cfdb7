"""Provider endpoints and keys from the environment. Every endpoint is overridable, so a
regional endpoint, an OpenAI-compatible server or a local fake works; keys never appear in repr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

_SECRETS = frozenset({"deepgram_api_key", "openai_api_key", "cartesia_api_key"})

ENV_VARS = {
    "deepgram_api_key": "DEEPGRAM_API_KEY",
    "deepgram_ws_url": "DEEPGRAM_WS_URL",
    "deepgram_http_url": "DEEPGRAM_HTTP_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "cartesia_api_key": "CARTESIA_API_KEY",
    "cartesia_base_url": "CARTESIA_BASE_URL",
    "cartesia_ws_url": "CARTESIA_WS_URL",
}


@dataclass(frozen=True)
class ProviderSettings:
    deepgram_api_key: str = ""
    deepgram_ws_url: str = "wss://api.deepgram.com"
    deepgram_http_url: str = "https://api.deepgram.com"
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    cartesia_api_key: str = ""
    cartesia_base_url: str = "https://api.cartesia.ai"
    cartesia_ws_url: str = "wss://api.cartesia.ai"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ProviderSettings:
        """Read the variables in ENV_VARS; unset or blank ones keep the production default."""
        values = {name: environ[var].strip() for name, var in ENV_VARS.items() if environ.get(var, "").strip()}
        return cls(**values)

    def missing_keys(self) -> list[str]:
        """Names of the environment variables whose key is unset."""
        return [ENV_VARS[name] for name in sorted(_SECRETS) if not getattr(self, name)]

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = ("'***'" if value else "''") if f.name in _SECRETS else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"ProviderSettings({', '.join(parts)})"

    __str__ = __repr__
