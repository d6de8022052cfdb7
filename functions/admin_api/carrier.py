"""Twilio REST operations for numbers and outbound calls, through the official twilio SDK.

The SDK talks to ``https://api.twilio.com``; with ``TWILIO_API_BASE_URL`` set (tests, the local
demo) :class:`RebasedHttpClient` — the SDK's own pluggable HTTP client — sends the same requests
to that base instead (``fakes.twilio_rest``). Which account: the tenant's ``twilio`` credentials
if it configured them, else the platform carrier secret (``twilio_account_sid``/``twilio_auth_token``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from switchboard.errors import Conflict, NotFound, ProviderError
from switchboard.resources import ENV_CARRIER_SECRET
from switchboard.store import CredentialReader

from . import config

TWILIO_API = "https://api.twilio.com"
VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


class RebasedHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending requests for ``https://api.twilio.com`` to another base URL."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self._base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        if url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class Webhooks:
    voice_url: str
    status_callback: str
    fallback_url: str | None

    @classmethod
    def for_platform(cls, public_api_url: str, fallback_url: str | None = None) -> Webhooks:
        return cls(f"{public_api_url}{VOICE_PATH}", f"{public_api_url}{STATUS_PATH}", fallback_url)

    def params(self) -> dict[str, str]:
        params = {
            "voice_url": self.voice_url,
            "voice_method": "POST",
            "status_callback": self.status_callback,
            "status_callback_method": "POST",
        }
        if self.fallback_url is not None:
            params |= {"voice_fallback_url": self.fallback_url, "voice_fallback_method": "POST"}
        return params


def _platform_credentials() -> dict[str, str]:
    secret_id = os.environ.get(ENV_CARRIER_SECRET, "")
    if not secret_id:
        return {}
    raw = config.secrets_client().get_secret_value(SecretId=secret_id)["SecretString"]
    document = json.loads(raw)
    return {
        "account_sid": str(document.get("twilio_account_sid", "")),
        "auth_token": str(document.get("twilio_auth_token", "")),
    }


def twilio_client(tenant_id: str) -> Client:
    settings = config.settings()
    reader = CredentialReader(config.secrets_client(), stage=settings.stage, ttl_s=0)
    try:
        credentials = reader.get(tenant_id, "twilio")
    except NotFound:
        credentials = _platform_credentials()
    account_sid, auth_token = credentials.get("account_sid"), credentials.get("auth_token")
    if not account_sid or not auth_token:
        raise Conflict("no Twilio account is configured: PUT /v1/credentials/twilio {account_sid, auth_token}")
    http_client = (
        RebasedHttpClient(settings.twilio_api_base_url)
        if settings.twilio_api_base_url
        else TwilioHttpClient(timeout=10.0)
    )
    return Client(account_sid, auth_token, http_client=http_client)


def _provider_error(exc: Exception) -> ProviderError:
    if isinstance(exc, TwilioRestException):
        return ProviderError("twilio", f"{exc.status} (code {exc.code}): {exc.msg}", retryable=exc.status >= 500)
    if isinstance(exc, requests.RequestException):
        return ProviderError("twilio", f"unreachable: {type(exc).__name__}", retryable=True)
    return ProviderError("twilio", "the request was rejected (check the account credentials)", retryable=False)


_TWILIO_FAILURES = (TwilioException, requests.RequestException)


def point_number_at_platform(client: Client, number: str, webhooks: Webhooks) -> str:
    """Find the account's IncomingPhoneNumber for *number* and set its voice webhooks; its PN sid."""
    try:
        matches = client.incoming_phone_numbers.list(phone_number=number, limit=2)
        owned = next((m for m in matches if m.phone_number == number), None)
        if owned is None or owned.sid is None:
            raise NotFound(f"{number} is not a number of this Twilio account")
        client.incoming_phone_numbers(owned.sid).update(**webhooks.params())
    except _TWILIO_FAILURES as exc:
        raise _provider_error(exc) from None
    return owned.sid


def buy_local_number(client: Client, area_code: str, webhooks: Webhooks, *, country: str = "US") -> tuple[str, str]:
    """Buy the first available local number in *area_code*, webhooks set; (E.164 number, PN sid)."""
    try:
        available = client.available_phone_numbers(country).local.list(area_code=int(area_code), limit=5)
        if not available or available[0].phone_number is None:
            raise NotFound(f"no local numbers available in area code {area_code}")
        bought = client.incoming_phone_numbers.create(phone_number=available[0].phone_number, **webhooks.params())
    except _TWILIO_FAILURES as exc:
        raise _provider_error(exc) from None
    if bought.phone_number is None or bought.sid is None:
        raise ProviderError("twilio", "the purchase returned no number", retryable=False)
    return bought.phone_number, bought.sid


def dial(client: Client, *, to: str, from_: str, public_api_url: str, assistant_id: str, call_id: str) -> str:
    """Start an outbound call that fetches the platform's voice webhook (the inbound stream flow); its CA sid."""
    query = urlencode({"direction": "outbound", "assistant_id": assistant_id, "call_id": call_id})
    try:
        call = client.calls.create(
            to=to,
            from_=from_,
            url=f"{public_api_url}{VOICE_PATH}?{query}",
            method="POST",
            status_callback=f"{public_api_url}{STATUS_PATH}",
            status_callback_method="POST",
            status_callback_event=STATUS_EVENTS,
        )
    except _TWILIO_FAILURES as exc:
        raise _provider_error(exc) from None
    if call.sid is None:
        raise ProviderError("twilio", "the call was created without a sid", retryable=False)
    return call.sid
