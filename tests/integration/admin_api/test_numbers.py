"""Numbers through the admin API against the fake Twilio REST API, reached by the twilio SDK."""

from __future__ import annotations

from typing import Any

from fakes.twilio_rest import FakeTwilioRest
from switchboard.store import find_number_claim

from ._api import call, number_path
from .conftest import PUBLIC_URL

NUMBER = "+14155550100"


def _configure_twilio(tenant_id: str, twilio: FakeTwilioRest) -> None:
    response = call(
        "PUT",
        "/v1/credentials/twilio",
        tenant_id=tenant_id,
        body={"values": {"account_sid": twilio.account_sid, "auth_token": twilio.auth_token}},
    )
    assert response.status == 200, response.text


def test_bring_your_own_twilio_number_points_its_webhooks_here(
    table: Any, tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    tenant_a, _ = tenants
    _configure_twilio(tenant_a, twilio)
    sid = twilio.add_incoming_number(NUMBER, voice_url="https://old.example/voice")

    response = call(
        "POST",
        "/v1/numbers",
        tenant_id=tenant_a,
        body={"number": NUMBER, "carrier": "twilio", "assistant_id": "asst_a", "fallback_url": "https://dr.example/v"},
    )

    assert response.status == 201, response.text
    assert response.json()["carrier_sid"] == sid
    configured = twilio.number(NUMBER)
    assert configured is not None
    assert configured["voice_url"] == f"{PUBLIC_URL}/twilio/voice"
    assert configured["status_callback"] == f"{PUBLIC_URL}/twilio/status"
    assert configured["voice_fallback_url"] == "https://dr.example/v"
    claim = find_number_claim(table, NUMBER)
    assert claim is not None and (claim.tenant_id, claim.assistant_id) == (tenant_a, "asst_a")


def test_a_number_not_in_the_twilio_account_is_404_and_not_claimed(
    table: Any, tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    tenant_a, _ = tenants
    _configure_twilio(tenant_a, twilio)

    response = call("POST", "/v1/numbers", tenant_id=tenant_a, body={"number": NUMBER, "carrier": "twilio"})

    assert response.status == 404 and response.content_type == "application/problem+json"
    assert find_number_claim(table, NUMBER) is None


def test_provision_buys_a_local_number_with_webhooks_set(
    table: Any, tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    tenant_a, _ = tenants
    _configure_twilio(tenant_a, twilio)
    twilio.add_available_number("+16505550111")
    twilio.add_available_number("+14155550199")

    response = call(
        "POST", "/v1/numbers/provision", tenant_id=tenant_a, body={"area_code": "415", "assistant_id": "asst_a"}
    )

    assert response.status == 201, response.text
    assert response.json()["number"] == "+14155550199"
    bought = twilio.number("+14155550199")
    assert bought is not None and bought["voice_url"] == f"{PUBLIC_URL}/twilio/voice"
    searches = twilio.requests_to("/AvailablePhoneNumbers/US/Local.json", "GET")
    assert searches and searches[0].param("AreaCode") == "415"
    claim = find_number_claim(table, "+14155550199")
    assert claim is not None and claim.tenant_id == tenant_a


def test_provision_with_nothing_available_is_404(tenants: tuple[str, str], twilio: FakeTwilioRest) -> None:
    tenant_a, _ = tenants
    _configure_twilio(tenant_a, twilio)

    response = call("POST", "/v1/numbers/provision", tenant_id=tenant_a, body={"area_code": "212"})

    assert response.status == 404
    assert twilio.requests_to("/IncomingPhoneNumbers.json", "POST") == []


def test_without_twilio_credentials_number_operations_are_409(tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants

    response = call("POST", "/v1/numbers/provision", tenant_id=tenant_a, body={"area_code": "415"})

    assert response.status == 409 and "credentials/twilio" in response.json()["detail"]


def test_a_number_held_by_another_tenant_is_409_and_its_webhooks_stay(
    tenants: tuple[str, str], twilio: FakeTwilioRest
) -> None:
    tenant_a, tenant_b = tenants
    twilio.add_incoming_number(NUMBER)
    for tenant_id in tenants:
        _configure_twilio(tenant_id, twilio)
    assert call("POST", "/v1/numbers", tenant_id=tenant_a, body={"number": NUMBER, "carrier": "twilio"}).status == 201
    updates_before = len(twilio.requests_to(".json", "POST"))

    response = call(
        "POST",
        "/v1/numbers",
        tenant_id=tenant_b,
        body={"number": NUMBER, "carrier": "twilio", "fallback_url": "https://evil.example/"},
    )

    assert response.status == 409 and response.json()["type"].endswith("conflict")
    assert len(twilio.requests_to(".json", "POST")) == updates_before
    configured = twilio.number(NUMBER)
    assert configured is not None and configured["voice_fallback_url"] is None


def test_route_then_detach_a_number(table: Any, tenants: tuple[str, str]) -> None:
    tenant_a, _ = tenants
    call("POST", "/v1/numbers", tenant_id=tenant_a, body={"number": NUMBER, "carrier": "telnyx"})

    routed = call("PATCH", number_path(NUMBER), tenant_id=tenant_a, body={"assistant_id": "asst_a"})
    listed = call("GET", "/v1/numbers", tenant_id=tenant_a).json()
    detached = call("DELETE", number_path(NUMBER), tenant_id=tenant_a)

    assert routed.status == 200 and routed.json()["assistant_id"] == "asst_a"
    assert [n["number"] for n in listed["items"]] == [NUMBER]
    assert detached.status == 204
    assert find_number_claim(table, NUMBER) is None
    assert call("GET", f"/v1/numbers/{NUMBER}", tenant_id=tenant_a).status == 404
