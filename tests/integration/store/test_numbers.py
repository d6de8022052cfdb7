"""Numbers against moto: one tenant per number, claims route calls, tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.errors import Conflict, NotFound
from switchboard.models import PhoneNumber
from switchboard.store import (
    attach_number,
    delete_assistant,
    detach_number,
    find_number_claim,
    get_number,
    list_numbers,
    route_number,
)

from .conftest import make_assistant

NUMBER = "+14155550100"


def test_attach_claims_the_number_for_the_tenant_and_its_assistant(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants
    make_assistant(table, tenant_a, "asst_1")

    attach_number(
        table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio", assistant_id="asst_1")
    )

    claim = find_number_claim(table, NUMBER)
    assert claim is not None
    assert (claim.tenant_id, claim.assistant_id, claim.carrier) == (tenant_a, "asst_1", "twilio")
    assert get_number(table, tenant_a, NUMBER).assistant_id == "asst_1"


def test_a_number_held_by_one_tenant_cannot_be_attached_by_another(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    attach_number(table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio"))

    with pytest.raises(Conflict):
        attach_number(table, tenant_b, PhoneNumber(number=NUMBER, tenant_id=tenant_b, carrier="telnyx"))
    with pytest.raises(Conflict):
        attach_number(table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio"))

    claim = find_number_claim(table, NUMBER)
    assert claim is not None and claim.tenant_id == tenant_a
    assert list_numbers(table, tenant_b).items == ()


def test_attaching_to_another_tenants_assistant_is_not_found(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    make_assistant(table, tenant_b, "asst_b")

    with pytest.raises(NotFound):
        attach_number(
            table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio", assistant_id="asst_b")
        )

    assert find_number_claim(table, NUMBER) is None


def test_route_updates_the_claim_and_detach_frees_the_number(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    make_assistant(table, tenant_a, "asst_1")
    attach_number(table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio"))

    route_number(table, tenant_a, NUMBER, "asst_1")
    claim = find_number_claim(table, NUMBER)
    assert claim is not None and claim.assistant_id == "asst_1"
    with pytest.raises(Conflict):
        delete_assistant(table, tenant_a, "asst_1")

    detach_number(table, tenant_a, NUMBER)

    assert find_number_claim(table, NUMBER) is None
    attach_number(table, tenant_b, PhoneNumber(number=NUMBER, tenant_id=tenant_b, carrier="twilio"))
    claim = find_number_claim(table, NUMBER)
    assert claim is not None and claim.tenant_id == tenant_b


def test_another_tenant_cannot_read_route_or_detach_a_number(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    make_assistant(table, tenant_b, "asst_b")
    attach_number(table, tenant_a, PhoneNumber(number=NUMBER, tenant_id=tenant_a, carrier="twilio"))

    with pytest.raises(NotFound):
        get_number(table, tenant_b, NUMBER)
    with pytest.raises(NotFound):
        route_number(table, tenant_b, NUMBER, "asst_b")
    with pytest.raises(NotFound):
        detach_number(table, tenant_b, NUMBER)

    claim = find_number_claim(table, NUMBER)
    assert claim is not None and claim.tenant_id == tenant_a and claim.assistant_id is None


def test_numbers_page_with_an_opaque_cursor(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants
    numbers = [f"+1415555010{i}" for i in range(5)]
    for number in numbers:
        attach_number(table, tenant_a, PhoneNumber(number=number, tenant_id=tenant_a, carrier="twilio"))

    first = list_numbers(table, tenant_a, limit=3)
    assert first.cursor is not None
    second = list_numbers(table, tenant_a, limit=3, cursor=first.cursor)

    assert [n.number for n in first.items + second.items] == numbers
    assert second.cursor is None
