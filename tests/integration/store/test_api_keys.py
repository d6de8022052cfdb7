"""API keys against moto: only the hash is stored, revoked and unknown keys do not resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.errors import NotFound
from switchboard.store import find_api_key, hash_api_key, issue_api_key, list_api_keys, revoke_api_key


def test_issued_key_resolves_and_only_its_hash_is_stored(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants

    issued = issue_api_key(table, tenant_a, name="ci")

    assert issued.secret.startswith("sk_") and len(issued.secret) > 40
    found = find_api_key(table, issued.secret)
    assert found is not None and found.tenant_id == tenant_a and found.key_id == issued.api_key.key_id
    raw_items = json.dumps(table.scan()["Items"], default=str)
    assert issued.secret not in raw_items
    assert hash_api_key(issued.secret) in raw_items
    assert issued.secret not in repr(issued)


def test_revoked_unknown_and_malformed_keys_do_not_resolve(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, _ = two_tenants
    issued = issue_api_key(table, tenant_a)

    revoked = revoke_api_key(table, tenant_a, issued.api_key.key_id)

    assert revoked.revoked_at is not None
    assert find_api_key(table, issued.secret) is None
    assert find_api_key(table, "sk_" + "x" * 43) is None
    assert find_api_key(table, "not-a-key") is None
    assert [k.key_id for k in list_api_keys(table, tenant_a)] == [issued.api_key.key_id]


def test_keys_are_tenant_scoped(table: Any, two_tenants: tuple[str, str]) -> None:
    tenant_a, tenant_b = two_tenants
    issued = issue_api_key(table, tenant_a)

    with pytest.raises(NotFound):
        revoke_api_key(table, tenant_b, issued.api_key.key_id)

    assert list_api_keys(table, tenant_b) == []
    assert find_api_key(table, issued.secret) is not None


def test_issuing_for_an_unknown_tenant_is_not_found(table: Any, two_tenants: tuple[str, str]) -> None:
    with pytest.raises(NotFound):
        issue_api_key(table, "ten_missing")
