"""Fake HubSpot CRM v3 (contacts and calls: search, create, archive, inline associations) over real HTTP.

Point the SDK at it: ``hubspot.Client.create(access_token=fake.token, host=fake.http_url)``.
Search matches like HubSpot's: ``EQ`` is exact string equality (so a phone stored as
``(415) 555-0123`` is not found by ``+14155550123``); filter groups are ORed, filters ANDed.
Unlike HubSpot, search is immediately consistent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fakes._crm import CrmFake, HandlerResult
from fakes._http import HttpRequest


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeHubSpot(CrmFake):
    vendor = "hubspot"

    def __init__(self, *, token: str = "hs-test-token") -> None:
        super().__init__()
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        """call id -> {"properties": {...}, "associations": [...]}"""
        self.archived_calls: dict[str, dict[str, Any]] = {}
        """calls moved to the recycling bin by ``DELETE /crm/v3/objects/calls/{id}`` (no longer searchable)"""
        base = "/crm/v3/objects"
        self.route("search_contacts", "POST", rf"{base}/contacts/search", self._search("contacts"))
        self.route("create_contact", "POST", rf"{base}/contacts", self._create("contacts"))
        self.route("search_calls", "POST", rf"{base}/calls/search", self._search("calls"))
        self.route("create_call", "POST", rf"{base}/calls", self._create("calls"))
        self.route("archive_call", "DELETE", rf"{base}/calls/(?P<object_id>[0-9]+)", self._archive_call)

    def add_contact(self, **properties: str) -> str:
        contact_id = self.new_id()
        self.contacts[contact_id] = {"properties": dict(properties), "associations": []}
        return contact_id

    def authorized(self, request: HttpRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def error_body(self, status: int) -> Any:
        return {"status": "error", "message": f"fake HubSpot error {status}", "correlationId": "fake",
                "category": "RATE_LIMITS" if status == 429 else "ERROR"}

    def _store(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.contacts if kind == "contacts" else self.calls

    def _search(self, kind: str) -> Any:
        def handler(request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
            body = request.json() or {}
            groups = body.get("filterGroups") or []
            hits = [
                (object_id, record) for object_id, record in self._store(kind).items()
                if not groups or any(all(_matches(record["properties"], f) for f in g.get("filters", []))
                                     for g in groups)
            ]
            limit = int(body.get("limit") or 10)
            return 200, {"total": len(hits), "results": [_public(i, r) for i, r in hits[:limit]]}

        return handler

    def _create(self, kind: str) -> Any:
        def handler(request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
            body = request.json() or {}
            properties = {k: str(v) for k, v in (body.get("properties") or {}).items()}
            if kind == "calls" and "hs_timestamp" not in properties:
                return 400, {"status": "error", "message": "hs_timestamp is required", "category": "VALIDATION_ERROR"}
            object_id = self.new_id()
            self._store(kind)[object_id] = {"properties": properties, "associations": body.get("associations") or []}
            return 201, _public(object_id, self._store(kind)[object_id])

        return handler

    def _archive_call(self, _request: HttpRequest, match: re.Match[str]) -> HandlerResult:
        object_id = match.group("object_id")
        record = self.calls.pop(object_id, None)
        if record is None:
            return 404, {"status": "error", "message": "Object not found. objectId are usually numeric.",
                         "category": "OBJECT_NOT_FOUND"}
        self.archived_calls[object_id] = record
        return 204, None


def _matches(properties: dict[str, str], flt: dict[str, Any]) -> bool:
    value = properties.get(flt.get("propertyName", ""))
    operator = flt.get("operator")
    if operator == "EQ":
        return value is not None and value == str(flt.get("value"))
    if operator == "IN":
        return value in {str(v) for v in flt.get("values") or []}
    if operator == "HAS_PROPERTY":
        return value is not None
    return False


def _public(object_id: str, record: dict[str, Any]) -> dict[str, Any]:
    stamp = _now()
    return {"id": object_id, "properties": record["properties"], "createdAt": stamp, "updatedAt": stamp,
            "archived": False}
