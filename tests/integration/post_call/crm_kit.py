"""Per-CRM test kit: start a fake, build the real writer against it, seed a contact, count records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes._crm import CrmFake
from fakes.gohighlevel import FakeGoHighLevel
from fakes.hubspot import FakeHubSpot
from fakes.pipedrive import FakePipedrive
from fakes.salesforce import FakeSalesforce
from switchboard.crm import CrmCall, CrmWriter, RetryPolicy, build_writer
from switchboard.crm.factory import ENV_BASE_URL
from switchboard.models import CallAnalysis, CrmTarget, Sentiment

T0 = datetime(2026, 11, 3, 15, 4, 5, tzinfo=UTC)
KNOWN = "+14155550123"
STRANGER = "+14155550777"


def a_call(**overrides: Any) -> CrmCall:
    values: dict[str, Any] = {
        "call_id": "ca_crm_1", "tenant_id": "tn_1", "direction": "inbound", "caller_number": KNOWN,
        "from_number": KNOWN, "to_number": "+14155550999", "started_at": T0,
        "ended_at": T0 + timedelta(seconds=95), "end_reason": "caller_hung_up",
        "analysis": CallAnalysis(summary="Leak reported; plumber booked.",
                                 sentiment=Sentiment(label="positive", score=0.5), disposition="resolved",
                                 success=True),
        "transcript_text": "Caller: my sink leaks\nAssistant: booked for 9am",
    }
    values.update(overrides)
    if "caller_number" in overrides and "from_number" not in overrides:
        values["from_number"] = overrides["caller_number"]
    return CrmCall(**values)


@dataclass(frozen=True)
class Kit:
    name: str
    make_fake: Callable[[], CrmFake]
    credentials: Callable[[Any], dict[str, str]]
    seed_contact: Callable[[Any, str], str]
    """add a contact whose phone is stored in a national spelling; returns its id"""
    records: Callable[[Any], list[dict[str, Any]]]
    contacts: Callable[[Any], int]
    search_route: str
    create_route: str

    def writer(self, fake: Any, *, create: bool = False, policy: RetryPolicy | None = None,
               timeout_s: float = 2.0) -> CrmWriter:
        env = {ENV_BASE_URL[self.name]: fake.http_url, "SWITCHBOARD_CRM_TIMEOUT_S": str(timeout_s)}
        target = CrmTarget(provider=self.name, create_contact_if_missing=create,  # type: ignore[arg-type]
                           sentiment_field="Sentiment__c" if self.name == "salesforce" else None)
        return build_writer(target, self.credentials(fake), policy=policy or RetryPolicy(base_delay_s=0.0), env=env)


KITS = [
    Kit(
        name="hubspot",
        make_fake=FakeHubSpot,
        credentials=lambda f: {"access_token": f.token},
        seed_contact=lambda f, phone: f.add_contact(firstname="Ada", mobilephone="(415) 555-0123"),
        records=lambda f: [c["properties"] | {"_assoc": c["associations"]} for c in f.calls.values()],
        contacts=lambda f: len(f.contacts),
        search_route="search_contacts",
        create_route="create_call",
    ),
    Kit(
        name="salesforce",
        make_fake=FakeSalesforce,
        credentials=lambda f: {"instance_url": "https://example.my.salesforce.com", "access_token": f.token},
        seed_contact=lambda f, phone: f.add_contact(LastName="Lovelace", Phone="(415) 555-0123"),
        records=lambda f: list(f.tasks.values()),
        contacts=lambda f: len(f.contacts) + len(f.leads),
        search_route="search",
        create_route="create_task",
    ),
    Kit(
        name="gohighlevel",
        make_fake=FakeGoHighLevel,
        credentials=lambda f: {"api_key": f.token, "location_id": f.location_id},
        seed_contact=lambda f, phone: f.add_contact(firstName="Ada", phone="+1 415-555-0123"),
        records=lambda f: f.all_notes,
        contacts=lambda f: len(f.contacts),
        search_route="find_contact",
        create_route="create_note",
    ),
    Kit(
        name="pipedrive",
        make_fake=FakePipedrive,
        credentials=lambda f: {"api_token": f.token},
        seed_contact=lambda f, phone: str(f.add_person("Ada Lovelace", ["(415) 555-0123"])),
        records=lambda f: list(f.activities.values()),
        contacts=lambda f: len(f.persons),
        search_route="search_persons",
        create_route="create_activity",
    ),
]
