"""Which carrier account controls a call: the tenant's own, else the platform's.

Transfers and hang-ups go through the carrier's REST API with the credentials of the account that
owns the number. A tenant that stored its own ``twilio`` (``account_sid``, ``auth_token``) or
``telnyx`` (``api_key``) credentials through the admin API owns its numbers there; every other
number lives in the platform account of the carrier secret (``twilio_account_sid``,
``twilio_auth_token``, ``telnyx_api_key``). Lookups are blocking (Secrets Manager) and cached; the
call-control adapters run them in threads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import boto3
import httpx

from switchboard.errors import NotFound
from switchboard.resources import ENV_CARRIER_SECRET, ENV_STAGE
from switchboard.store.secrets import CredentialReader

from .call_control import CallControl, CarrierCall
from .rest_call_control import (
    ENV_TWILIO_API_BASE_URL,
    TELNYX_API,
    CarrierCallControl,
    TelnyxCallControl,
    TwilioAccount,
    TwilioCallControl,
)

ENV_TELNYX_API_BASE_URL = "TELNYX_API_BASE_URL"


class CarrierAccounts:
    def __init__(self, platform: Mapping[str, str], tenants: CredentialReader) -> None:
        self._platform = dict(platform)
        self._tenants = tenants

    def _own(self, tenant_id: str, provider: str) -> dict[str, str] | None:
        try:
            return self._tenants.get(tenant_id, provider)
        except NotFound:
            return None

    def twilio(self, call: CarrierCall) -> TwilioAccount:
        own = self._own(call.tenant_id, "twilio")
        if own is not None:
            return TwilioAccount(account_sid=own["account_sid"], auth_token=own["auth_token"])
        return TwilioAccount(
            account_sid=self._platform["twilio_account_sid"], auth_token=self._platform["twilio_auth_token"]
        )

    def telnyx_api_key(self, call: CarrierCall) -> str:
        own = self._own(call.tenant_id, "telnyx")
        if own is not None and own.get("api_key"):
            return own["api_key"]
        return self._platform["telnyx_api_key"]


def carrier_call_control(env: Mapping[str, str] | None = None, *, secrets_client: Any = None) -> CallControl | None:
    """REST call control for both carriers, or None when no carrier secret is configured.
    Blocking (Secrets Manager, TLS contexts): call it in a thread."""
    env = os.environ if env is None else env
    arn = env.get(ENV_CARRIER_SECRET)
    if not arn:
        return None
    client = secrets_client or boto3.client("secretsmanager")
    platform = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    accounts = CarrierAccounts(
        {k: str(v) for k, v in platform.items()}, CredentialReader(client, stage=env.get(ENV_STAGE, "local"))
    )
    twilio = TwilioCallControl(accounts.twilio, api_base_url=env.get(ENV_TWILIO_API_BASE_URL) or None)
    telnyx = TelnyxCallControl(
        httpx.AsyncClient(timeout=10.0),
        accounts.telnyx_api_key,
        api_base_url=env.get(ENV_TELNYX_API_BASE_URL) or TELNYX_API,
    )
    return CarrierCallControl(twilio=twilio, telnyx=telnyx)
