"""Fake GoHighLevel / LeadConnector API v2: duplicate-contact search by phone, contacts, notes.

Requires ``Authorization: Bearer <token>`` and a ``Version`` header, like the real API.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fakes._crm import CrmFake, HandlerResult, same_phone
from fakes._http import HttpRequest


class FakeGoHighLevel(CrmFake):
    vendor = "gohighlevel"

    def __init__(self, *, token: str = "ghl-test-token", location_id: str = "loc_test") -> None:
        super().__init__()
        self.token = token
        self.location_id = location_id
        self.contacts: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        """contact id -> its notes"""
        self.route("find_contact", "GET", r"/contacts/search/duplicate", self._find)
        self.route("create_contact", "POST", r"/contacts", self._create_contact)
        self.route("list_notes", "GET", r"/contacts/(?P<contact>[^/]+)/notes", self._list_notes)
        self.route("create_note", "POST", r"/contacts/(?P<contact>[^/]+)/notes", self._create_note)

    def add_contact(self, **fields: Any) -> str:
        contact_id = self.new_id("c")
        self.contacts[contact_id] = {"id": contact_id, "locationId": self.location_id, **fields}
        return contact_id

    @property
    def all_notes(self) -> list[dict[str, Any]]:
        return [note for notes in self.notes.values() for note in notes]

    def authorized(self, request: HttpRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}" and bool(request.headers.get("version"))

    def error_body(self, status: int) -> Any:
        return {"statusCode": status, "message": f"fake GoHighLevel error {status}"}

    def _find(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        if (request.query.get("locationId") or [""])[0] != self.location_id:
            return 403, {"statusCode": 403, "message": "The token does not have access to this location"}
        number = (request.query.get("number") or [""])[0]
        hit = next((c for c in self.contacts.values() if same_phone(c.get("phone"), number)), None)
        return 200, {"contact": hit}

    def _create_contact(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        body = request.json() or {}
        if body.get("locationId") != self.location_id:
            return 422, {"statusCode": 422, "message": "locationId is required"}
        contact_id = self.add_contact(**{k: v for k, v in body.items() if k != "locationId"})
        return 201, {"contact": self.contacts[contact_id]}

    def _list_notes(self, _request: HttpRequest, match: re.Match[str]) -> HandlerResult:
        if match["contact"] not in self.contacts:
            return 400, {"statusCode": 400, "message": "Contact not found"}
        return 200, {"notes": self.notes.get(match["contact"], [])}

    def _create_note(self, request: HttpRequest, match: re.Match[str]) -> HandlerResult:
        if match["contact"] not in self.contacts:
            return 400, {"statusCode": 400, "message": "Contact not found"}
        note = {"id": self.new_id("n"), "body": (request.json() or {}).get("body", ""), "contactId": match["contact"],
                "dateAdded": datetime.now(UTC).isoformat()}
        self.notes.setdefault(match["contact"], []).append(note)
        return 201, {"note": note}
