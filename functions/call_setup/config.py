"""Call setup's configuration, read once from the environment the CDK stack (or local stack) sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from switchboard.resources import (
    ENV_CARRIER_SECRET,
    ENV_EVENT_BUS,
    ENV_MEDIA_WSS_URL,
    ENV_PUBLIC_API_URL,
    ENV_STAGE,
    ENV_STREAM_TOKEN_SECRET,
    ENV_TABLE,
)
from switchboard.telephony.public_urls import ENV_PUBLIC_API_URLS, split_bases
from switchboard.telephony.telnyx_call_control import DEFAULT_API_BASE_URL, ENV_TELNYX_API_BASE_URL

ENV_SECRET_MAX_AGE_S = "SWITCHBOARD_SECRET_MAX_AGE_S"


class ConfigError(RuntimeError):
    """A required environment variable is missing."""


@dataclass(frozen=True, slots=True)
class CallSetupConfig:
    table_name: str
    event_bus: str
    stream_token_secret_arn: str
    carrier_secret_arn: str
    media_wss_url: str
    public_base_urls: tuple[str, ...]
    """The primary public API base URL first, then extra accepted bases (custom domains, fallback region)."""
    telnyx_api_base_url: str = DEFAULT_API_BASE_URL
    secret_max_age_s: float = 300.0
    stage: str = "local"
    """Names the tenants' credential secrets (``switchboard/{stage}/tenants/...``), as in the admin API."""

    @property
    def primary_public_url(self) -> str:
        return self.public_base_urls[0]

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> CallSetupConfig:
        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is required")
            return value

        bases = split_bases(required(ENV_PUBLIC_API_URL), env.get(ENV_PUBLIC_API_URLS))
        return cls(
            table_name=required(ENV_TABLE),
            event_bus=required(ENV_EVENT_BUS),
            stream_token_secret_arn=required(ENV_STREAM_TOKEN_SECRET),
            carrier_secret_arn=required(ENV_CARRIER_SECRET),
            media_wss_url=required(ENV_MEDIA_WSS_URL).rstrip("/"),
            public_base_urls=bases,
            telnyx_api_base_url=env.get(ENV_TELNYX_API_BASE_URL, "").strip() or DEFAULT_API_BASE_URL,
            secret_max_age_s=float(env.get(ENV_SECRET_MAX_AGE_S, "300")),
            stage=env.get(ENV_STAGE, "").strip() or "local",
        )
