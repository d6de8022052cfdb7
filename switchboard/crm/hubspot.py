"""HubSpot: find (or create) the contact by phone, log a Call engagement associated with it, once.

Dedupe: the call carries our call id in a custom calls property (default
``switchboard_call_id``, a single-line text property the portal must have; see
docs/crm.md). Before creating, the writer searches calls by that property.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import hubspot
from hubspot.crm import contacts as hs_contacts
from hubspot.crm.objects import calls as hs_calls
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

from .base import CrmCall, CrmError, CrmName, CrmWriteResult, error_for_status, parse_retry_after
from .phone import lookup_variants
from .retry import RetryPolicy

T = TypeVar("T")

CALL_TO_CONTACT = 194
"""HUBSPOT_DEFINED association type: call -> contact."""
PHONE_PROPERTIES = ("phone", "mobilephone")
MAX_BODY_CHARS = 60_000

HUBSPOT_DEFAULT_OUTCOMES: dict[str, str] = {
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "left_live_message": "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",
    "left_voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "wrong_number": "17b47fee-58de-441e-a44c-c6300d46f273",
}
"""HubSpot's built-in call outcome GUIDs (portals can add their own: map them in ``crm.disposition_map``)."""

DEFAULT_DISPOSITION_OUTCOMES: dict[str, str] = {
    "resolved": HUBSPOT_DEFAULT_OUTCOMES["connected"],
    "follow_up": HUBSPOT_DEFAULT_OUTCOMES["connected"],
    "transferred": HUBSPOT_DEFAULT_OUTCOMES["connected"],
    "voicemail": HUBSPOT_DEFAULT_OUTCOMES["left_voicemail"],
    "abandoned": HUBSPOT_DEFAULT_OUTCOMES["no_answer"],
}

_STATUS_FOR_END_REASON = {"busy": "BUSY", "no_answer": "NO_ANSWER", "failed": "FAILED", "rejected": "CANCELED",
                          "provider_error": "FAILED"}


def call_properties(call: CrmCall, *, call_id_property: str) -> dict[str, str]:
    """The engagement's properties (pure; exposed for tests and docs)."""
    disposition = call.disposition_map.get(call.analysis.disposition) or DEFAULT_DISPOSITION_OUTCOMES.get(
        call.analysis.disposition, HUBSPOT_DEFAULT_OUTCOMES["connected"]
    )
    props = {
        "hs_timestamp": call.started_at.isoformat(),
        "hs_call_title": call.title,
        "hs_call_body": call.body[:MAX_BODY_CHARS],
        "hs_call_direction": call.direction.upper(),
        "hs_call_status": _STATUS_FOR_END_REASON.get(call.end_reason, "COMPLETED"),
        "hs_call_duration": str(call.duration_s * 1000),
        "hs_call_disposition": disposition,
        call_id_property: call.call_id,
    }
    for name, value in (
        ("hs_call_recording_url", call.recording_url),
        ("hs_call_from_number", call.from_number),
        ("hs_call_to_number", call.to_number),
    ):
        if value:
            props[name] = value
    return props


class HubSpotWriter:
    name: CrmName = "hubspot"

    def __init__(
        self,
        *,
        access_token: str,
        policy: RetryPolicy,
        host: str | None = None,
        timeout_s: float = 10.0,
        create_contact_if_missing: bool = False,
        call_id_property: str = "switchboard_call_id",
    ) -> None:
        options: dict[str, Any] = {"access_token": access_token, "retry": Retry(total=0, raise_on_status=False)}
        if host:
            options["host"] = host.rstrip("/")
        self._client = hubspot.Client.create(**options)
        self._policy = policy
        self._timeout_s = timeout_s
        self._create_contact = create_contact_if_missing
        self._call_id_property = call_id_property

    def write_call(self, call: CrmCall) -> CrmWriteResult:
        if call.caller_number is None:
            return CrmWriteResult(crm="hubspot", record_id=None, skipped="withheld_number")
        contact_id = self.find_contact(call.caller_number)
        created_contact = False
        if contact_id is None:
            if not self._create_contact:
                return CrmWriteResult(crm="hubspot", record_id=None, skipped="no_contact")
            contact_id, created_contact = self._create(call.caller_number), True
        existing = self.find_call(call.call_id)
        if existing is not None:
            return CrmWriteResult(crm="hubspot", record_id=existing, contact_id=contact_id, already_existed=True)
        body = hs_calls.SimplePublicObjectInputForCreate(
            properties=call_properties(call, call_id_property=self._call_id_property),
            associations=[
                hs_calls.PublicAssociationsForObject(
                    to=hs_calls.PublicObjectId(id=contact_id),
                    types=[hs_calls.AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                    association_type_id=CALL_TO_CONTACT)],
                )
            ],
        )
        created = self._call(
            "create call",
            lambda: self._client.crm.objects.calls.basic_api.create(
                simple_public_object_input_for_create=body, _request_timeout=self._timeout_s
            ),
            idempotent=False,
        )
        return CrmWriteResult(crm="hubspot", record_id=str(created.id), contact_id=contact_id,
                              created_contact=created_contact)

    def find_contact(self, e164: str) -> str | None:
        """Search ``phone``, then ``mobilephone``, for any spelling of the number (OR of EQ filters)."""
        variants = lookup_variants(e164)[:5]
        for prop in PHONE_PROPERTIES:
            request = hs_contacts.PublicObjectSearchRequest(
                filter_groups=[
                    hs_contacts.FilterGroup(filters=[hs_contacts.Filter(property_name=prop, operator="EQ", value=v)])
                    for v in variants
                ],
                properties=["phone", "mobilephone"],
                limit=1,
            )
            page = self._call("search contacts", self._search_contacts(request))
            if page.results:
                return str(page.results[0].id)
        return None

    def _search_contacts(self, request: Any) -> Callable[[], Any]:
        def search() -> Any:
            return self._client.crm.contacts.search_api.do_search(
                public_object_search_request=request, _request_timeout=self._timeout_s
            )

        return search

    def find_call(self, call_id: str) -> str | None:
        request = hs_calls.PublicObjectSearchRequest(
            filter_groups=[hs_calls.FilterGroup(filters=[
                hs_calls.Filter(property_name=self._call_id_property, operator="EQ", value=call_id)
            ])],
            properties=[self._call_id_property],
            limit=1,
        )
        page = self._call(
            "search calls",
            lambda: self._client.crm.objects.calls.search_api.do_search(
                public_object_search_request=request, _request_timeout=self._timeout_s
            ),
        )
        return str(page.results[0].id) if page.results else None

    def _create(self, e164: str) -> str:
        body = hs_contacts.SimplePublicObjectInputForCreate(properties={"phone": e164})
        created = self._call(
            "create contact",
            lambda: self._client.crm.contacts.basic_api.create(
                simple_public_object_input_for_create=body, _request_timeout=self._timeout_s
            ),
            idempotent=False,
        )
        return str(created.id)

    def _call(self, what: str, operation: Callable[[], T], *, idempotent: bool = True) -> T:
        return self._policy.run(what, lambda: _translated(what, operation), idempotent=idempotent)


def _translated(what: str, operation: Callable[[], T]) -> T:
    try:
        return operation()
    except Urllib3Error as exc:  # timeouts, refused connections, protocol errors
        raise CrmError("hubspot", f"{what}: {type(exc).__name__}", retryable=True) from None
    except Exception as exc:
        status = getattr(exc, "status", None)
        if not isinstance(status, int) or not type(exc).__module__.startswith("hubspot"):
            raise
        if status == 0:  # the generated client's wrapper for TLS failures
            raise CrmError("hubspot", f"{what}: connection failed", retryable=True) from None
        headers: Mapping[str, str] = getattr(exc, "headers", None) or {}
        raise error_for_status("hubspot", what, status, parse_retry_after(headers.get("Retry-After"))) from None
