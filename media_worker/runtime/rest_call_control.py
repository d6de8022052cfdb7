""":class:`~media_worker.runtime.call_control.CallControl` through the carriers' REST APIs.

- Twilio (the official ``twilio`` SDK, blocking, so each request runs in a thread): a transfer
  updates the live call with ``<Response>[<Say>…</Say>]<Dial>+1…</Dial></Response>``; a hang-up
  updates it with ``Status=completed``. ``TWILIO_API_BASE_URL`` (tests, the local demo) sends the
  SDK's requests to another base URL through its own pluggable HTTP client.
- Telnyx (Call Control v2, one shared :class:`httpx.AsyncClient`): ``POST
  /v2/calls/{call_control_id}/actions/transfer`` with ``{"to"}``, and ``actions/hangup``. Each
  command carries a ``command_id`` derived from the call id, so a retried command is a no-op.

:class:`CarrierCallControl` picks the implementation by the call's carrier. Credentials come from
callables the composition root provides (tenant credentials or the platform carrier secret); they
may block (Secrets Manager), so they are called in a thread too. Failures raise
:class:`~media_worker.runtime.call_control.CallControlError`; no secret reaches its message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from .call_control import CallControl, CallControlError, CarrierCall

ENV_TWILIO_API_BASE_URL = "TWILIO_API_BASE_URL"
TWILIO_API = "https://api.twilio.com"
TELNYX_API = "https://api.telnyx.com"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class TwilioAccount:
    account_sid: str
    auth_token: str

    def __repr__(self) -> str:
        return f"TwilioAccount(account_sid={self.account_sid!r}, auth_token='…')"


def _check_destination(destination: str) -> str:
    if not _E164.fullmatch(destination):
        raise CallControlError("the transfer destination is not an E.164 number")
    return destination


class RebasedTwilioHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, sending requests meant for ``https://api.twilio.com`` to *base_url*."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self._base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        if url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioCallControl:
    def __init__(
        self,
        account_for: Callable[[CarrierCall], TwilioAccount],
        *,
        api_base_url: str | None = None,
        announcement: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._account_for = account_for
        self._api_base_url = api_base_url
        self._announcement = announcement
        self._timeout_s = timeout_s
        self._clients: dict[str, Client] = {}

    def transfer_twiml(self, destination: str) -> str:
        response = VoiceResponse()
        if self._announcement:
            response.say(self._announcement)
        response.dial(_check_destination(destination))
        return str(response)

    async def transfer(self, call: CarrierCall, destination: str) -> None:
        twiml = self.transfer_twiml(destination)
        await asyncio.to_thread(self._update, call, {"twiml": twiml})

    async def hangup(self, call: CarrierCall) -> None:
        await asyncio.to_thread(self._update, call, {"status": "completed"})

    def _client(self, account: TwilioAccount) -> Client:
        client = self._clients.get(account.account_sid)
        if client is None or client.password != account.auth_token:
            http_client = (
                RebasedTwilioHttpClient(self._api_base_url, timeout=self._timeout_s)
                if self._api_base_url
                else TwilioHttpClient(timeout=self._timeout_s)
            )
            client = Client(account.account_sid, account.auth_token, http_client=http_client)
            self._clients[account.account_sid] = client
        return client

    def _update(self, call: CarrierCall, fields: dict[str, str]) -> None:
        try:
            client = self._client(self._account_for(call))
            client.calls(call.carrier_call_id).update(**fields)
        except TwilioRestException as exc:
            raise CallControlError(f"twilio refused the call update: HTTP {exc.status} (code {exc.code})") from None
        except Exception as exc:  # transport errors and credential lookups: typed for the executor
            raise CallControlError(f"twilio call update failed ({type(exc).__name__})") from None


class TelnyxCallControl:
    def __init__(
        self,
        client: httpx.AsyncClient,
        api_key_for: Callable[[CarrierCall], str],
        *,
        api_base_url: str = TELNYX_API,
    ) -> None:
        self._client = client
        self._api_key_for = api_key_for
        self._base_url = api_base_url.rstrip("/")

    async def transfer(self, call: CarrierCall, destination: str) -> None:
        body = {"to": _check_destination(destination), "command_id": f"{call.call_id}:transfer"}
        await self._command(call, "transfer", body)

    async def hangup(self, call: CarrierCall) -> None:
        await self._command(call, "hangup", {"command_id": f"{call.call_id}:hangup"})

    async def _command(self, call: CarrierCall, action: str, body: dict[str, Any]) -> None:
        try:
            api_key = await asyncio.to_thread(self._api_key_for, call)
        except Exception as exc:
            raise CallControlError(f"no Telnyx API key ({type(exc).__name__})") from None
        url = f"{self._base_url}/v2/calls/{quote(call.carrier_call_id, safe=':')}/actions/{action}"
        headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        try:
            response = await self._client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise CallControlError(f"telnyx {action} failed ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise CallControlError(f"telnyx refused {action}: HTTP {response.status_code}")


class CarrierCallControl:
    """Routes each request to the call's carrier; a carrier without an implementation cannot be controlled.

    After a successful transfer the carrier call belongs to the new leg: a later :meth:`hangup` of
    it (the session tears down once the stream closes) is skipped, since it would drop the caller.
    """

    MAX_TRANSFERRED = 10_000

    def __init__(self, *, twilio: CallControl | None, telnyx: CallControl | None) -> None:
        self._by_carrier: dict[str, CallControl | None] = {"twilio": twilio, "telnyx": telnyx}
        self._transferred: dict[tuple[str, str], None] = {}

    def _for(self, call: CarrierCall) -> CallControl:
        control = self._by_carrier.get(call.carrier)
        if control is None:
            raise CallControlError(f"call control is not configured for {call.carrier}")
        return control

    async def transfer(self, call: CarrierCall, destination: str) -> None:
        await self._for(call).transfer(call, destination)
        self._transferred[(call.carrier, call.carrier_call_id)] = None
        while len(self._transferred) > self.MAX_TRANSFERRED:
            self._transferred.pop(next(iter(self._transferred)))

    async def hangup(self, call: CarrierCall) -> None:
        if self._transferred.pop((call.carrier, call.carrier_call_id), False) is None:
            return
        await self._for(call).hangup(call)
