"""GDPR erasure in HubSpot: archive the Call engagements post_call created for a call.

post_call's :class:`~switchboard.crm.hubspot.HubSpotWriter` stores our call id in a calls property
(``switchboard_call_id``). The deleter searches calls by that property and archives each match
(``DELETE /crm/v3/objects/calls/{id}``: HubSpot moves it to the recycling bin, from which the portal
purges it). Contacts are left alone: they are the tenant's customer records, not call data.
"""

from __future__ import annotations

from hubspot.crm.objects import calls as hs_calls

from .crm.base import CrmError, CrmName
from .crm.hubspot import HubSpotWriter

MAX_MATCHES = 100


class HubSpotActivityDeleter(HubSpotWriter):
    """A :class:`switchboard.gdpr.CrmActivityDeleter` sharing the writer's client, retry policy and property."""

    name: CrmName = "hubspot"

    def delete_call_activities(self, call_id: str) -> tuple[str, ...]:
        request = hs_calls.PublicObjectSearchRequest(
            filter_groups=[hs_calls.FilterGroup(filters=[
                hs_calls.Filter(property_name=self._call_id_property, operator="EQ", value=call_id)
            ])],
            properties=[self._call_id_property],
            limit=MAX_MATCHES,
        )
        page = self._call(
            "search calls",
            lambda: self._client.crm.objects.calls.search_api.do_search(
                public_object_search_request=request, _request_timeout=self._timeout_s
            ),
        )
        archived: list[str] = []
        for result in page.results:
            record_id = str(result.id)
            if self._archive(record_id):
                archived.append(record_id)
        return tuple(archived)

    def _archive(self, record_id: str) -> bool:
        try:
            self._call(
                "archive call",
                lambda: self._client.crm.objects.calls.basic_api.archive(
                    call_id=record_id, _request_timeout=self._timeout_s
                ),
            )
        except CrmError as exc:
            if exc.status == 404:  # archived meanwhile (search results lag behind in HubSpot)
                return False
            raise
        return True
