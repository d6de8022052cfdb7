"""Operator routes: the operator key (Secrets Manager) creates tenants and issues/revokes their keys."""

from __future__ import annotations

from typing import Any

from functions.authorizer.handler import authorize

from ._api import call


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_operator_creates_a_tenant_and_issues_a_key_the_authorizer_accepts(table: Any, operator_key: str) -> None:
    created = call("POST", "/v1/tenants", headers=_bearer(operator_key), body={"name": "Acme", "tenant_id": "ten_acme"})
    assert created.status == 201, created.text

    issued = call("POST", "/v1/tenants/ten_acme/api-keys", headers=_bearer(operator_key), body={"name": "ci"})

    assert issued.status == 201, issued.text
    key = issued.json()
    assert key["secret"].startswith("sk_") and key["prefix"] == key["secret"][:10]
    assert "key_hash" not in key
    decision = authorize({"headers": {"authorization": f"Bearer {key['secret']}"}})
    assert decision == {"isAuthorized": True, "context": {"tenant_id": "ten_acme", "key_id": key["key_id"]}}
    listed = call("GET", "/v1/tenants/ten_acme/api-keys", headers=_bearer(operator_key)).json()
    assert [k["key_id"] for k in listed] == [key["key_id"]] and "secret" not in listed[0]


def test_revoking_a_key_stops_the_authorizer_accepting_it(table: Any, operator_key: str) -> None:
    call("POST", "/v1/tenants", headers=_bearer(operator_key), body={"name": "Acme", "tenant_id": "ten_acme"})
    key = call("POST", "/v1/tenants/ten_acme/api-keys", headers=_bearer(operator_key), body={}).json()

    revoked = call("DELETE", f"/v1/tenants/ten_acme/api-keys/{key['key_id']}", headers=_bearer(operator_key))

    assert revoked.status == 200 and revoked.json()["revoked_at"] is not None
    assert authorize({"headers": {"authorization": f"Bearer {key['secret']}"}}) == {"isAuthorized": False}


def test_operator_routes_reject_missing_wrong_and_tenant_keys(table: Any, operator_key: str) -> None:
    missing = call("POST", "/v1/tenants", body={"name": "Acme"})
    wrong = call("POST", "/v1/tenants", headers=_bearer("op_wrong"), body={"name": "Acme"})
    as_tenant = call("POST", "/v1/tenants", tenant_id="ten_a", headers=_bearer("sk_tenantkey"), body={"name": "Acme"})

    assert (missing.status, wrong.status, as_tenant.status) == (401, 403, 403)
    assert all(r.content_type == "application/problem+json" for r in (missing, wrong, as_tenant))
    assert call("GET", "/v1/tenants/ten_acme", headers=_bearer(operator_key)).status == 404


def test_duplicate_tenant_is_409_and_keys_for_unknown_tenants_404(table: Any, operator_key: str) -> None:
    body = {"name": "Acme", "tenant_id": "ten_acme"}
    call("POST", "/v1/tenants", headers=_bearer(operator_key), body=body)

    again = call("POST", "/v1/tenants", headers=_bearer(operator_key), body=body)
    unknown = call("POST", "/v1/tenants/ten_nobody/api-keys", headers=_bearer(operator_key), body={})

    assert again.status == 409 and again.json()["type"].endswith("conflict")
    assert unknown.status == 404


def test_a_tenant_key_sees_its_own_tenant(tenants: tuple[str, str]) -> None:
    response = call("GET", "/v1/tenant", tenant_id="ten_b")

    assert response.status == 200 and response.json()["name"] == "Bravo"
