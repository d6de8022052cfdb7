"""Fake Pipedrive API v1: person search by phone, persons, a person's activities, activity create.

Requires the ``x-api-token`` header (or ``api_token`` query parameter), like the real API.
Responses use Pipedrive's ``{"success": true, "data": ...}`` envelope.
"""

from __future__ import annotations

import re
from typing import Any

from fakes._crm import CrmFake, HandlerResult, same_phone
from fakes._http import HttpRequest


class FakePipedrive(CrmFake):
    vendor = "pipedrive"

    def __init__(self, *, token: str = "pd-test-token") -> None:
        super().__init__()
        self.token = token
        self.persons: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.page_size_cap = 500
        self.route("search_persons", "GET", r"/v1/persons/search", self._search)
        self.route("person_activities", "GET", r"/v1/persons/(?P<person>\d+)/activities", self._person_activities)
        self.route("create_person", "POST", r"/v1/persons", self._create_person)
        self.route("create_activity", "POST", r"/v1/activities", self._create_activity)

    def add_person(self, name: str, phones: list[str]) -> int:
        person_id = int(self.new_id())
        self.persons[person_id] = {"id": person_id, "name": name, "phones": phones}
        return person_id

    def authorized(self, request: HttpRequest) -> bool:
        token = request.headers.get("x-api-token") or next(iter(request.query.get("api_token") or []), None)
        return token == self.token

    def error_body(self, status: int) -> Any:
        return {"success": False, "error": f"fake Pipedrive error {status}", "errorCode": status}

    def _search(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        term = (request.query.get("term") or [""])[0]
        if len(term) < 2:
            return 400, {"success": False, "error": "term must be at least 2 characters"}
        items = [
            {"result_score": 1.0, "item": {"id": p["id"], "type": "person", "name": p["name"], "phones": p["phones"]}}
            for p in self.persons.values() if any(same_phone(ph, term) for ph in p["phones"])
        ]
        return 200, {"success": True, "data": {"items": items}}

    def _person_activities(self, request: HttpRequest, match: re.Match[str]) -> HandlerResult:
        person_id = int(match["person"])
        start = int((request.query.get("start") or ["0"])[0])
        limit = min(int((request.query.get("limit") or ["100"])[0]), self.page_size_cap)
        mine = [a for a in self.activities.values() if a.get("person_id") == person_id]
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return 200, {"success": True, "data": page or None, "additional_data": {"pagination": pagination}}

    def _create_person(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        body = request.json() or {}
        phones = [p["value"] if isinstance(p, dict) else str(p) for p in body.get("phone") or []]
        person_id = self.add_person(body.get("name", "?"), phones)
        return 201, {"success": True, "data": self.persons[person_id]}

    def _create_activity(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        body = request.json() or {}
        if not body.get("subject") or not body.get("type"):
            return 400, {"success": False, "error": "subject and type are required"}
        activity_id = int(self.new_id())
        self.activities[activity_id] = {"id": activity_id, **body}
        return 201, {"success": True, "data": self.activities[activity_id]}
