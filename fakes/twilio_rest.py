"""A wire-level fake of the Twilio REST API (2010-04-01), for the twilio SDK over loopback.

Requests are form-encoded, responses JSON shaped like Twilio's, every request needs HTTP basic
auth with the fake's account SID and auth token (else 401, Twilio error 20003), and every request
is recorded in :attr:`FakeTwilioRest.requests`. Unknown resources answer Twilio's 404 (20404).

Endpoints, under ``/2010-04-01/Accounts/{AccountSid}/``:

=============================================  ======  ==================================================
path                                           method  what
=============================================  ======  ==================================================
``IncomingPhoneNumbers.json``                  GET     list owned numbers; ``PhoneNumber`` filters exactly
``IncomingPhoneNumbers.json``                  POST    buy ``PhoneNumber`` (must be available) or the first
                                                       available one in ``AreaCode``; ``VoiceUrl``,
                                                       ``StatusCallback``, ``VoiceFallbackUrl``... are kept
``IncomingPhoneNumbers/{PN...}.json``          GET     fetch one owned number
``IncomingPhoneNumbers/{PN...}.json``          POST    update it (any of the create fields)
``AvailablePhoneNumbers/{Country}/Local.json`` GET     search; ``AreaCode`` and ``Contains`` filter
``Calls.json``                                 POST    create an outbound call (``To``, ``From``, ``Url`` or
                                                       ``Twiml``, ``StatusCallback``, ``StatusCallbackEvent``)
``Calls/{CA...}.json``                         GET     fetch a call
``Calls/{CA...}.json``                         POST    update a live call: ``Twiml`` (e.g.
                                                       ``<Response><Dial>+1...</Dial></Response>`` for a
                                                       transfer), ``Url`` or ``Status=completed``
=============================================  ======  ==================================================

A call created with a ``From`` the account does not own is rejected (400, Twilio error 21210),
as Twilio does. The fake never calls the webhook URLs back; tests drive those themselves.

Use it with the SDK through its configurable HTTP client: a ``TwilioHttpClient`` whose requests
to ``https://api.twilio.com`` go to :attr:`FakeTwilioRest.http_url` instead.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

from fakes._http import Exchange, HttpFake, HttpRequest

API_VERSION = "2010-04-01"
_VOICE_FIELDS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


@dataclass(frozen=True)
class TwilioRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]

    def param(self, name: str) -> str | None:
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else None


@dataclass
class FakeTwilioState:
    incoming: dict[str, dict[str, Any]] = field(default_factory=dict)
    """owned numbers by PN sid"""
    available: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    call_updates: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """(call sid, form) for every update, in order"""


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _now() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return {"code": code, "message": message, "more_info": more_info, "status": status}


class FakeTwilioRest(HttpFake):
    def __init__(self, *, account_sid: str | None = None, auth_token: str = "fake-twilio-auth-token") -> None:
        super().__init__()
        self.account_sid = account_sid or _sid("AC")
        self.auth_token = auth_token
        self.state = FakeTwilioState()
        self.requests: list[TwilioRequest] = []
        self._lock = threading.Lock()

    # --- test set-up -------------------------------------------------------------------------

    def add_incoming_number(self, number: str, **fields: Any) -> str:
        """Make the account own *number* (as if bought earlier); returns its PN sid."""
        with self._lock:
            return self._own(number, fields)

    def add_available_number(self, number: str, *, region: str = "CA", locality: str = "San Francisco") -> None:
        with self._lock:
            self.state.available.append(
                {
                    "phone_number": number,
                    "friendly_name": number,
                    "iso_country": "US",
                    "region": region,
                    "locality": locality,
                    "capabilities": {"voice": True, "SMS": True, "MMS": True},
                }
            )

    def number(self, number: str) -> dict[str, Any] | None:
        with self._lock:
            return next((dict(n) for n in self.state.incoming.values() if n["phone_number"] == number), None)

    def requests_to(self, suffix: str, method: str | None = None) -> list[TwilioRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(suffix) and method in (None, r.method)]

    # --- HTTP ----------------------------------------------------------------------------------

    async def handle(self, request: HttpRequest, exchange: Exchange) -> None:
        form = parse_qs(request.body.decode(), keep_blank_values=True) if request.method == "POST" else {}
        recorded = TwilioRequest(request.method, request.path, request.query, form)
        with self._lock:
            self.requests.append(recorded)
            if not self._authorized(request.headers.get("authorization", "")):
                status, body = 401, _error(401, 20003, "Authentication Error - invalid username")
            else:
                status, body = self._route(recorded)
        await exchange.send_json(status, body)

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(password, self.auth_token)

    def _route(self, request: TwilioRequest) -> tuple[int, dict[str, Any]]:
        prefix = f"/{API_VERSION}/Accounts/{self.account_sid}/"
        if not request.path.startswith(prefix) or not request.path.endswith(".json"):
            return 404, _error(404, 20404, f"The requested resource {request.path} was not found")
        parts = request.path[len(prefix) : -len(".json")].split("/")
        match (request.method, parts):
            case ("GET", ["IncomingPhoneNumbers"]):
                return 200, self._list_incoming(request)
            case ("POST", ["IncomingPhoneNumbers"]):
                return self._buy(request)
            case ("GET", ["IncomingPhoneNumbers", sid]) if sid in self.state.incoming:
                return 200, dict(self.state.incoming[sid])
            case ("POST", ["IncomingPhoneNumbers", sid]) if sid in self.state.incoming:
                return 200, self._update_incoming(sid, request)
            case ("GET", ["AvailablePhoneNumbers", country, "Local"]):
                return 200, self._search(country, request)
            case ("POST", ["Calls"]):
                return self._create_call(request)
            case ("GET", ["Calls", sid]) if sid in self.state.calls:
                return 200, dict(self.state.calls[sid])
            case ("POST", ["Calls", sid]) if sid in self.state.calls:
                return 200, self._update_call(sid, request)
        return 404, _error(404, 20404, f"The requested resource {request.path} was not found")

    # --- resources -----------------------------------------------------------------------------

    def _page(self, key: str, items: list[dict[str, Any]], path: str) -> dict[str, Any]:
        return {
            key: items,
            "uri": path,
            "first_page_uri": path,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": max(len(items), 50),
            "start": 0,
            "end": max(len(items) - 1, 0),
        }

    def _own(self, number: str, fields: dict[str, Any]) -> str:
        sid = _sid("PN")
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json"
        self.state.incoming[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": number,
            "friendly_name": number,
            "voice_url": None,
            "voice_method": "POST",
            "voice_fallback_url": None,
            "voice_fallback_method": "POST",
            "status_callback": None,
            "status_callback_method": "POST",
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "status": "in-use",
            "api_version": API_VERSION,
            "date_created": _now(),
            "date_updated": _now(),
            "uri": base,
            **fields,
        }
        return sid

    def _list_incoming(self, request: TwilioRequest) -> dict[str, Any]:
        wanted = request.param("PhoneNumber")
        items = [dict(n) for n in self.state.incoming.values() if wanted is None or n["phone_number"] == wanted]
        return self._page("incoming_phone_numbers", items, request.path)

    def _voice_fields(self, request: TwilioRequest) -> dict[str, str]:
        return {attr: value for name, attr in _VOICE_FIELDS.items() if (value := request.param(name)) is not None}

    def _buy(self, request: TwilioRequest) -> tuple[int, dict[str, Any]]:
        wanted, area_code = request.param("PhoneNumber"), request.param("AreaCode")
        if wanted is None and area_code is None:
            return 400, _error(400, 21605, "A 'PhoneNumber' or 'AreaCode' is required")
        match = next(
            (
                n
                for n in self.state.available
                if (wanted is not None and n["phone_number"] == wanted)
                or (wanted is None and n["phone_number"][2:5] == area_code)
            ),
            None,
        )
        if match is None:
            return 400, _error(400, 21422, "PhoneNumber is not available")
        self.state.available.remove(match)
        sid = self._own(match["phone_number"], self._voice_fields(request))
        return 201, dict(self.state.incoming[sid])

    def _update_incoming(self, sid: str, request: TwilioRequest) -> dict[str, Any]:
        self.state.incoming[sid].update(self._voice_fields(request), date_updated=_now())
        return dict(self.state.incoming[sid])

    def _search(self, country: str, request: TwilioRequest) -> dict[str, Any]:
        area_code, contains = request.param("AreaCode"), request.param("Contains")
        items = [
            dict(n)
            for n in self.state.available
            if country == "US"
            and (area_code is None or n["phone_number"][2:5] == area_code)
            and (contains is None or contains in n["phone_number"])
        ]
        return self._page("available_phone_numbers", items, request.path)

    def _create_call(self, request: TwilioRequest) -> tuple[int, dict[str, Any]]:
        to, from_ = request.param("To"), request.param("From")
        if not to or not from_:
            return 400, _error(400, 21201, "'To' and 'From' are required")
        if not (request.param("Url") or request.param("Twiml")):
            return 400, _error(400, 21205, "A 'Url' or 'Twiml' is required")
        if not any(n["phone_number"] == from_ for n in self.state.incoming.values()):
            return 400, _error(400, 21210, f"The source phone number provided, {from_}, is not yet verified")
        sid = _sid("CA")
        self.state.calls[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": from_,
            "status": "queued",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "date_created": _now(),
            "date_updated": _now(),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json",
            # what the call was told to do (not part of Twilio's resource; for tests)
            "url": request.param("Url"),
            "twiml": request.param("Twiml"),
            "status_callback": request.param("StatusCallback"),
            "status_callback_event": request.form.get("StatusCallbackEvent", []),
        }
        return 201, dict(self.state.calls[sid])

    def _update_call(self, sid: str, request: TwilioRequest) -> dict[str, Any]:
        call = self.state.calls[sid]
        form = {name: values[0] for name, values in request.form.items() if values}
        self.state.call_updates.append((sid, form))
        if "Twiml" in form:
            call["twiml"] = form["Twiml"]
        if "Url" in form:
            call["url"] = form["Url"]
        if form.get("Status") in {"completed", "canceled"}:
            call["status"] = form["Status"]
        call["date_updated"] = _now()
        return dict(call)
