"""GoHighLevel (LeadConnector API v2): find the contact by phone, optionally create it, add a call note once.

Dedupe: the note body carries ``[switchboard-call-id: <id>]``; before adding, the writer lists
the contact's notes and looks for it. Credentials: ``api_key`` (a private integration or
location token) and ``location_id``.
"""

from __future__ import annotations

from typing import Any

from .base import CrmCall, CrmName, CrmWriteResult
from .http import JsonHttpClient

API_VERSION = "2021-07-28"
DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"


def note_body(call: CrmCall) -> str:
    return f"{call.title}\n\n{call.body}\n\n{call.marker}"


class GoHighLevelWriter:
    name: CrmName = "gohighlevel"

    def __init__(self, http: JsonHttpClient, *, location_id: str, create_contact_if_missing: bool = False) -> None:
        self._http = http
        self._location_id = location_id
        self._create_contact = create_contact_if_missing

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "Version": API_VERSION}

    def write_call(self, call: CrmCall) -> CrmWriteResult:
        if call.caller_number is None:
            return CrmWriteResult(crm="gohighlevel", record_id=None, skipped="withheld_number")
        contact_id = self.find_contact(call.caller_number)
        created = False
        if contact_id is None:
            if not self._create_contact:
                return CrmWriteResult(crm="gohighlevel", record_id=None, skipped="no_contact")
            body = {"locationId": self._location_id, "phone": call.caller_number, "source": "Switchboard AI call"}
            contact_id, created = str(self._http.request("POST", "/contacts/", json=body)["contact"]["id"]), True
        existing = self.find_note(contact_id, call)
        if existing is not None:
            return CrmWriteResult(crm="gohighlevel", record_id=existing, contact_id=contact_id, already_existed=True)
        note = self._http.request("POST", f"/contacts/{contact_id}/notes", json={"body": note_body(call)})
        return CrmWriteResult(crm="gohighlevel", record_id=str(note["note"]["id"]), contact_id=contact_id,
                              created_contact=created)

    def find_contact(self, e164: str) -> str | None:
        found: dict[str, Any] = self._http.request(
            "GET", "/contacts/search/duplicate", params={"locationId": self._location_id, "number": e164}
        ) or {}
        contact = found.get("contact")
        return str(contact["id"]) if contact else None

    def find_note(self, contact_id: str, call: CrmCall) -> str | None:
        notes = (self._http.request("GET", f"/contacts/{contact_id}/notes") or {}).get("notes") or []
        return next((str(n["id"]) for n in notes if call.marker in (n.get("body") or "")), None)
