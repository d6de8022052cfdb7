"""Fake Salesforce REST API (SOSL phone search, SOQL on Task.CallObject, Lead and Task create).

simple-salesforce forces ``https://``; reach this plain-HTTP fake through a requests session
that rewrites the scheme for its origin (``switchboard.crm.http.build_session(plain_http_urls=
[fake.http_url])``) and ``Salesforce(instance_url=fake.http_url, session_id=fake.token, session=...)``.
Phone search matches digits loosely, as Salesforce's phone search does. Errors use Salesforce's
``[{"message", "errorCode"}]`` body.
"""

from __future__ import annotations

import re
from typing import Any

from fakes._crm import CrmFake, HandlerResult, same_phone
from fakes._http import HttpRequest

_DATA = r"/services/data/v\d+\.\d+"
_FIND = re.compile(r"FIND\s*\{(?P<terms>.*)\}\s*IN\s+PHONE\s+FIELDS", re.IGNORECASE | re.DOTALL)
_CALL_OBJECT = re.compile(r"FROM\s+Task\s+WHERE\s+CallObject\s*=\s*'(?P<id>(?:[^'\\]|\\.)*)'", re.IGNORECASE)


class FakeSalesforce(CrmFake):
    vendor = "salesforce"

    def __init__(self, *, token: str = "sf-test-token") -> None:
        super().__init__()
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}
        self.leads: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.route("search", "GET", rf"{_DATA}/search", self._search)
        self.route("query", "GET", rf"{_DATA}/query", self._query)
        self.route("create_lead", "POST", rf"{_DATA}/sobjects/Lead", self._create(self.leads, "00Q"))
        self.route("create_task", "POST", rf"{_DATA}/sobjects/Task", self._create(self.tasks, "00T"))

    def add_contact(self, **fields: Any) -> str:
        contact_id = self.new_id("003")
        self.contacts[contact_id] = dict(fields)
        return contact_id

    def add_lead(self, **fields: Any) -> str:
        lead_id = self.new_id("00Q")
        self.leads[lead_id] = dict(fields)
        return lead_id

    def authorized(self, request: HttpRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def error_body(self, status: int) -> Any:
        code = {401: "INVALID_SESSION_ID", 429: "REQUEST_LIMIT_EXCEEDED"}.get(status, "UNKNOWN_EXCEPTION")
        return [{"message": f"fake Salesforce error {status}", "errorCode": code}]

    def _search(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        found = _FIND.search((request.query.get("q") or [""])[0])
        if found is None:
            return 400, [{"message": "unsupported SOSL", "errorCode": "MALFORMED_SEARCH"}]
        terms = [re.sub(r"\\(.)", r"\1", t.strip().strip('"')) for t in found.group("terms").split(" OR ")]
        records = []
        for sobject, store in (("Contact", self.contacts), ("Lead", self.leads)):
            for record_id, fields in store.items():
                phones = [fields.get("Phone"), fields.get("MobilePhone")]
                if any(same_phone(p, t) for p in phones for t in terms):
                    records.append({"attributes": {"type": sobject, "url": f"/sobjects/{sobject}/{record_id}"},
                                    "Id": record_id})
        return 200, {"searchRecords": records}

    def _query(self, request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
        found = _CALL_OBJECT.search((request.query.get("q") or [""])[0])
        if found is None:
            return 400, [{"message": "unsupported SOQL", "errorCode": "MALFORMED_QUERY"}]
        wanted = re.sub(r"\\(.)", r"\1", found.group("id"))
        records = [
            {"attributes": {"type": "Task", "url": f"/sobjects/Task/{task_id}"}, "Id": task_id}
            for task_id, fields in self.tasks.items() if fields.get("CallObject") == wanted
        ]
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _create(self, store: dict[str, dict[str, Any]], prefix: str) -> Any:
        def handler(request: HttpRequest, _match: re.Match[str]) -> HandlerResult:
            fields = request.json() or {}
            record_id = self.new_id(prefix)
            store[record_id] = dict(fields)
            return 201, {"id": record_id, "success": True, "errors": []}

        return handler
