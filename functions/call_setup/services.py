"""Wiring: the clients and collaborators call setup uses, built once per container.

They are rebuilt only if the relevant environment changes (tests reuse one process for many
stacks). Secrets are fetched on first use and cached for ``secret_max_age_s``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import requests

from switchboard.publisher import EventPublisher
from switchboard.telephony.telnyx_call_control import TelnyxCallControl
from switchboard.telephony.telnyx_signature import load_public_key

from .config import CallSetupConfig
from .directory import TableDirectory
from .flow import CallSetup
from .secret_cache import SecretCache
from .telnyx_routes import TelnyxWebhook

CARRIER_TWILIO_AUTH_TOKEN = "twilio_auth_token"
CARRIER_TELNYX_PUBLIC_KEY = "telnyx_public_key"
CARRIER_TELNYX_API_KEY = "telnyx_api_key"
"""Fields of the carrier JSON secret (``SWITCHBOARD_CARRIER_SECRET_ARN``) call setup reads."""


@dataclass(frozen=True, slots=True)
class Services:
    config: CallSetupConfig
    setup: CallSetup
    secrets: SecretCache
    telnyx: TelnyxWebhook

    def twilio_auth_token(self) -> str:
        return self.secrets.json_field(self.config.carrier_secret_arn, CARRIER_TWILIO_AUTH_TOKEN)


def build_services(config: CallSetupConfig, *, logger: Any) -> Services:
    secrets = SecretCache(boto3.client("secretsmanager"), max_age_s=config.secret_max_age_s)
    table = boto3.resource("dynamodb").Table(config.table_name)
    setup = CallSetup(
        table=table,
        directory=TableDirectory(table),
        publisher=EventPublisher(boto3.client("events"), config.event_bus),
        stream_key=lambda: secrets.text(config.stream_token_secret_arn).encode(),
        logger=logger,
    )
    session = requests.Session()

    def telnyx_control() -> TelnyxCallControl:
        api_key = secrets.json_field(config.carrier_secret_arn, CARRIER_TELNYX_API_KEY)
        return TelnyxCallControl(api_key, session=session, base_url=config.telnyx_api_base_url)

    telnyx = TelnyxWebhook(
        setup=setup,
        config=config,
        public_key=lambda: load_public_key(secrets.json_field(config.carrier_secret_arn, CARRIER_TELNYX_PUBLIC_KEY)),
        control=telnyx_control,
        clock=setup.now,
    )
    return Services(config=config, setup=setup, secrets=secrets, telnyx=telnyx)


class ServiceCache:
    """One :class:`Services` per distinct configuration (in Lambda: one per container)."""

    def __init__(self, *, logger: Any) -> None:
        self._logger = logger
        self._config: CallSetupConfig | None = None
        self._services: Services | None = None

    def get(self, env: Mapping[str, str] = os.environ) -> Services:
        config = CallSetupConfig.from_environ(env)
        if self._services is None or config != self._config:
            self._services = build_services(config, logger=self._logger)
            self._config = config
        return self._services
