"""Salesforce: find a Contact or Lead by phone (SOSL), optionally create a Lead, log a completed call Task once.

Dedupe: the Task's ``CallObject`` holds our call id; before creating, the writer runs
``SELECT Id FROM Task WHERE CallObject = '<call id>'`` (SOQL reads are consistent).
Credentials: ``instance_url`` and ``access_token`` (an OAuth access token or session id).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from .base import CrmCall, CrmError, CrmName, CrmWriteResult, error_for_status, parse_retry_after
from .http import translate_requests_error
from .phone import lookup_variants
from .retry import RetryPolicy

T = TypeVar("T")
API_VERSION = "59.0"
MAX_DESCRIPTION_CHARS = 32_000
_SOSL_RESERVED = re.compile(r'([?&|!{}\[\]()^~*:\\"\'+\-])')


def sosl_phone_search(e164: str) -> str:
    """``FIND {"+1..." OR "415..."} IN PHONE FIELDS RETURNING Contact(Id), Lead(Id)`` with escaping."""
    escaped = [_SOSL_RESERVED.sub(r"\\\1", v) for v in lookup_variants(e164)[:3]]
    terms = " OR ".join(f'"{v}"' for v in escaped)
    return f"FIND {{{terms}}} IN PHONE FIELDS RETURNING Contact(Id), Lead(Id)"


def soql_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def task_fields(call: CrmCall, *, who_id: str, sentiment_field: str | None) -> dict[str, Any]:
    """The Task's fields (pure; exposed for tests and docs)."""
    fields: dict[str, Any] = {
        "WhoId": who_id,
        "Subject": call.title[:255],
        "Status": "Completed",
        "TaskSubtype": "Call",
        "CallType": call.direction.capitalize(),
        "CallDisposition": call.disposition_map.get(call.analysis.disposition, call.analysis.disposition)[:255],
        "CallDurationInSeconds": call.duration_s,
        "CallObject": call.call_id,
        "Description": call.body[:MAX_DESCRIPTION_CHARS],
        "ActivityDate": call.started_at.date().isoformat(),
    }
    if sentiment_field:
        fields[sentiment_field] = call.analysis.sentiment.label
    return fields


class SalesforceWriter:
    name: CrmName = "salesforce"

    def __init__(
        self,
        *,
        instance_url: str,
        access_token: str,
        policy: RetryPolicy,
        session: requests.Session,
        create_lead_if_missing: bool = False,
        sentiment_field: str | None = None,
    ) -> None:
        self._retry_after: float | None = None
        session.hooks["response"].append(self._remember_retry_after)
        self._sf: Any = cast(Any, Salesforce(instance_url=instance_url, session_id=access_token, session=session,
                                             version=API_VERSION))
        self._policy = policy
        self._create_lead = create_lead_if_missing
        self._sentiment_field = sentiment_field

    def write_call(self, call: CrmCall) -> CrmWriteResult:
        if call.caller_number is None:
            return CrmWriteResult(crm="salesforce", record_id=None, skipped="withheld_number")
        who_id = self.find_person(call.caller_number)
        created = False
        if who_id is None:
            if not self._create_lead:
                return CrmWriteResult(crm="salesforce", record_id=None, skipped="no_contact")
            lead = {"LastName": f"Caller {call.caller_number}", "Company": "Unknown (phone caller)",
                    "Phone": call.caller_number, "LeadSource": "Phone Inquiry"}
            who_id = str(self._call("create lead", lambda: self._sf.Lead.create(lead), idempotent=False)["id"])
            created = True
        existing = self.find_task(call.call_id)
        if existing is not None:
            return CrmWriteResult(crm="salesforce", record_id=existing, contact_id=who_id, already_existed=True)
        fields = task_fields(call, who_id=who_id, sentiment_field=self._sentiment_field)
        result = self._call("create task", lambda: self._sf.Task.create(fields), idempotent=False)
        return CrmWriteResult(crm="salesforce", record_id=str(result["id"]), contact_id=who_id, created_contact=created)

    def find_person(self, e164: str) -> str | None:
        """The first Contact, else the first Lead, whose phone fields match the number."""
        found = self._call("search", lambda: self._sf.search(sosl_phone_search(e164))) or {}
        records = found.get("searchRecords") or []
        for wanted in ("Contact", "Lead"):
            for record in records:
                if (record.get("attributes") or {}).get("type") == wanted:
                    return str(record["Id"])
        return None

    def find_task(self, call_id: str) -> str | None:
        soql = f"SELECT Id FROM Task WHERE CallObject = {soql_quote(call_id)} LIMIT 1"  # noqa: S608 (quoted)
        result = self._call("query task", lambda: self._sf.query(soql))
        records = result.get("records") or []
        return str(records[0]["Id"]) if records else None

    def _remember_retry_after(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._retry_after = parse_retry_after(response.headers.get("Retry-After"))

    def _call(self, what: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
        def once() -> T:
            self._retry_after = None
            try:
                return operation()
            except SalesforceError as exc:
                raise error_for_status("salesforce", what, int(exc.status), self._retry_after) from None
            except requests.RequestException as exc:
                raise translate_requests_error("salesforce", what, exc) from None

        return self._policy.run(what, once, idempotent=idempotent)


__all__ = ["CrmError", "SalesforceWriter", "sosl_phone_search", "task_fields"]
