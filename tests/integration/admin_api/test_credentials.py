"""Credentials are written to a per-tenant secret and never returned by any route."""

from __future__ import annotations

import json

import boto3

from switchboard.local_aws import LocalResources
from switchboard.store import CredentialReader

from ._api import call

SECRET = "dg-secret-value-123456"


def test_put_writes_a_per_tenant_secret_and_get_shows_only_the_provider(
    aws: LocalResources, tenants: tuple[str, str]
) -> None:
    put = call("PUT", "/v1/credentials/deepgram", tenant_id="ten_a", body={"values": {"api_key": SECRET}})

    assert put.status == 200, put.text
    assert SECRET not in put.text
    listed = call("GET", "/v1/credentials", tenant_id="ten_a")
    assert [c["provider"] for c in listed.json()] == ["deepgram"] and SECRET not in listed.text
    assert call("GET", "/v1/credentials", tenant_id="ten_b").json() == []
    sm = boto3.client("secretsmanager", endpoint_url=aws.endpoint_url)
    stored = sm.get_secret_value(SecretId="switchboard/test/tenants/ten_a/deepgram")["SecretString"]
    assert json.loads(stored) == {"api_key": SECRET}
    reader = CredentialReader(sm, stage="test")
    assert reader.get("ten_a", "deepgram") == {"api_key": SECRET}


def test_overwrite_then_delete(aws: LocalResources, tenants: tuple[str, str]) -> None:
    call("PUT", "/v1/credentials/openai", tenant_id="ten_a", body={"values": {"api_key": "one"}})
    call("PUT", "/v1/credentials/openai", tenant_id="ten_a", body={"values": {"api_key": "two"}})
    sm = boto3.client("secretsmanager", endpoint_url=aws.endpoint_url)
    assert CredentialReader(sm, stage="test").get("ten_a", "openai") == {"api_key": "two"}

    deleted = call("DELETE", "/v1/credentials/openai", tenant_id="ten_a")

    assert deleted.status == 204
    assert call("GET", "/v1/credentials", tenant_id="ten_a").json() == []
    assert call("DELETE", "/v1/credentials/openai", tenant_id="ten_a").status == 404


def test_unknown_provider_and_missing_fields_are_422_without_echoing_values(tenants: tuple[str, str]) -> None:
    unknown = call("PUT", "/v1/credentials/acme", tenant_id="ten_a", body={"values": {"api_key": SECRET}})
    missing = call("PUT", "/v1/credentials/twilio", tenant_id="ten_a", body={"values": {"account_sid": SECRET}})

    assert unknown.status == 422 and SECRET not in unknown.text
    assert missing.status == 422 and SECRET not in missing.text
    assert {e["loc"] for e in missing.json()["errors"]} == {"body/values/auth_token"}
