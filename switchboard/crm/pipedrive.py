"""Pipedrive (API v1): find the person by phone, optionally create one, log a done call activity once.

Dedupe: the activity's note carries ``[switchboard-call-id: <id>]``; before adding, the writer
lists the person's activities and looks for it. Credentials: ``api_token`` (sent as the
``x-api-token`` header) and optionally ``base_url`` (the company domain).
"""

from __future__ import annotations

from typing import Any

from .base import CrmCall, CrmName, CrmWriteResult
from .http import JsonHttpClient
from .phone import lookup_variants

DEFAULT_BASE_URL = "https://api.pipedrive.com"
PAGE = 500


def activity_body(call: CrmCall, person_id: int) -> dict[str, Any]:
    hours, minutes = divmod(-(-call.duration_s // 60), 60)  # whole minutes, rounded up
    note = call.body.replace("\n", "<br>") + f"<br><br>{call.marker}"
    return {
        "subject": call.title[:255],
        "type": "call",
        "done": 1,
        "person_id": person_id,
        "due_date": call.started_at.date().isoformat(),
        "due_time": call.started_at.strftime("%H:%M"),
        "duration": f"{hours:02d}:{minutes:02d}" if call.duration_s < 86_400 else "23:59",
        "note": note,
    }


class PipedriveWriter:
    name: CrmName = "pipedrive"

    def __init__(self, http: JsonHttpClient, *, create_contact_if_missing: bool = False) -> None:
        self._http = http
        self._create_contact = create_contact_if_missing

    @staticmethod
    def headers(api_token: str) -> dict[str, str]:
        return {"x-api-token": api_token}

    def write_call(self, call: CrmCall) -> CrmWriteResult:
        if call.caller_number is None:
            return CrmWriteResult(crm="pipedrive", record_id=None, skipped="withheld_number")
        person_id = self.find_person(call.caller_number)
        created = False
        if person_id is None:
            if not self._create_contact:
                return CrmWriteResult(crm="pipedrive", record_id=None, skipped="no_contact")
            body = {"name": f"Caller {call.caller_number}", "phone": [{"value": call.caller_number, "primary": True}]}
            person_id, created = int(self._http.request("POST", "/v1/persons", json=body)["data"]["id"]), True
        existing = self.find_activity(person_id, call)
        if existing is not None:
            return CrmWriteResult(crm="pipedrive", record_id=existing, contact_id=str(person_id), already_existed=True)
        created_activity = self._http.request("POST", "/v1/activities", json=activity_body(call, person_id))
        return CrmWriteResult(crm="pipedrive", record_id=str(created_activity["data"]["id"]),
                              contact_id=str(person_id), created_contact=created)

    def find_person(self, e164: str) -> int | None:
        for term in lookup_variants(e164)[:3]:
            found = self._http.request(
                "GET", "/v1/persons/search", params={"term": term, "fields": "phone", "exact_match": "true"}
            ) or {}
            items = (found.get("data") or {}).get("items") or []
            if items:
                return int(items[0]["item"]["id"])
        return None

    def find_activity(self, person_id: int, call: CrmCall) -> str | None:
        start = 0
        while True:
            page = self._http.request(
                "GET", f"/v1/persons/{person_id}/activities", params={"start": start, "limit": PAGE, "done": 1}
            ) or {}
            for activity in page.get("data") or []:
                if call.marker in (activity.get("note") or ""):
                    return str(activity["id"])
            pagination = (page.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return None
            start = int(pagination.get("next_start", start + PAGE))
