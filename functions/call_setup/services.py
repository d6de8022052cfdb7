"""Wiring: the clients and collaborators call setup uses, built once per container.

They are rebuilt only if the relevant environment changes (tests reuse one process for many
stacks). Secrets are fetched on first use and cached for ``secret_max_age_s``. The Telnyx side
(``requests``, ``cryptography``) is imported on the first Telnyx webhook, so a Twilio-only
deployment does not pay for it at cold start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

from switchboard.publisher import EventPublisher
from switchboard.store.secrets import CredentialReader

from .config import CallSetupConfig
from .directory import TableDirectory
from .flow import CallSetup
from .secret_cache import SecretCache
from .twilio_accounts import TENANT_CREDENTIAL_PROVIDER, SigningAccount, TwilioSigningAccounts

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from .telnyx_routes import TelnyxWebhook

CARRIER_TWILIO_AUTH_TOKEN = "twilio_auth_token"
CARRIER_TELNYX_PUBLIC_KEY = "telnyx_public_key"
CARRIER_TELNYX_API_KEY = "telnyx_api_key"
"""Fields of the carrier JSON secret (``SWITCHBOARD_CARRIER_SECRET_ARN``) call setup reads."""


class Services:
    def __init__(self, config: CallSetupConfig, *, logger: Any) -> None:
        self.config = config
        secrets_client = boto3.client("secretsmanager")
        self.secrets = SecretCache(secrets_client, max_age_s=config.secret_max_age_s)
        tenant_credentials = CredentialReader(secrets_client, stage=config.stage, ttl_s=0)  # cached below
        self.twilio_accounts = TwilioSigningAccounts(
            platform_token=lambda: self.secrets.json_field(config.carrier_secret_arn, CARRIER_TWILIO_AUTH_TOKEN),
            tenant_credentials=lambda tenant_id: tenant_credentials.get(tenant_id, TENANT_CREDENTIAL_PROVIDER),
            max_age_s=config.secret_max_age_s,
        )
        table = boto3.resource("dynamodb").Table(config.table_name)
        self.setup = CallSetup(
            table=table,
            directory=TableDirectory(table),
            publisher=EventPublisher(boto3.client("events"), config.event_bus),
            stream_key=lambda: self.secrets.text(config.stream_token_secret_arn).encode(),
            logger=logger,
        )
        self._telnyx: TelnyxWebhook | None = None

    def twilio_account(self, tenant_id: str | None) -> SigningAccount:
        """The Twilio account (and auth token) that signs webhooks about *tenant_id*'s numbers and calls."""
        return self.twilio_accounts.for_tenant(tenant_id)

    def telnyx(self) -> TelnyxWebhook:
        if self._telnyx is None:
            self._telnyx = self._build_telnyx()
        return self._telnyx

    def _build_telnyx(self) -> TelnyxWebhook:
        import requests

        from switchboard.telephony.telnyx_call_control import TelnyxCallControl
        from switchboard.telephony.telnyx_signature import load_public_key

        from .telnyx_routes import TelnyxWebhook

        config, secrets, session = self.config, self.secrets, requests.Session()

        def control() -> TelnyxCallControl:
            api_key = secrets.json_field(config.carrier_secret_arn, CARRIER_TELNYX_API_KEY)
            return TelnyxCallControl(api_key, session=session, base_url=config.telnyx_api_base_url)

        def public_key() -> Ed25519PublicKey:
            return load_public_key(secrets.json_field(config.carrier_secret_arn, CARRIER_TELNYX_PUBLIC_KEY))

        return TelnyxWebhook(
            setup=self.setup,
            config=config,
            public_key=public_key,
            control=control,
            clock=self.setup.now,
        )


class ServiceCache:
    """One :class:`Services` per distinct configuration (in Lambda: one per container)."""

    def __init__(self, *, logger: Any) -> None:
        self._logger = logger
        self._config: CallSetupConfig | None = None
        self._services: Services | None = None

    def get(self, env: Mapping[str, str] = os.environ) -> Services:
        config = CallSetupConfig.from_environ(env)
        if self._services is None or config != self._config:
            self._services = Services(config, logger=self._logger)
            self._config = config
        return self._services
