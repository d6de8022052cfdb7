"""Each runtime gets exactly the configuration and secrets it reads (env names from switchboard.resources)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.secrets import CARRIER_FIELDS
from switchboard.resources import (
    ENV_BUCKET,
    ENV_CARRIER_SECRET,
    ENV_EVENT_BUS,
    ENV_MEDIA_WSS_URL,
    ENV_OPERATOR_SECRET,
    ENV_PROVIDER_SECRET,
    ENV_PUBLIC_API_URL,
    ENV_STREAM_TOKEN_SECRET,
    ENV_TABLE,
    PROVIDER_KEY_ENV,
)

from .conftest import Synth, logical_ids_where

SECRET_ENV = {ENV_STREAM_TOKEN_SECRET, ENV_CARRIER_SECRET, ENV_PROVIDER_SECRET, ENV_OPERATOR_SECRET}

EXPECTED_ENV = {
    "call_setup": {ENV_TABLE, ENV_EVENT_BUS, ENV_STREAM_TOKEN_SECRET, ENV_CARRIER_SECRET, ENV_MEDIA_WSS_URL,
                   ENV_PUBLIC_API_URL},
    "tool_call": {ENV_TABLE, ENV_EVENT_BUS, ENV_STREAM_TOKEN_SECRET},
    "post_call": {ENV_TABLE, ENV_EVENT_BUS, ENV_BUCKET, ENV_PROVIDER_SECRET, ENV_PUBLIC_API_URL},
    "admin_api": {ENV_TABLE, ENV_EVENT_BUS, ENV_BUCKET, ENV_OPERATOR_SECRET, ENV_CARRIER_SECRET, ENV_PUBLIC_API_URL},
    "authorizer": {ENV_TABLE, ENV_OPERATOR_SECRET},
}


def _function(synth: Synth, name: str) -> dict[str, Any]:
    (logical_id,) = logical_ids_where(synth.of_type("AWS::Lambda::Function"),
                                      Handler=f"functions.{name}.handler.lambda_handler")
    props: dict[str, Any] = synth.resources[logical_id]["Properties"]
    return props


def _statements_of_role(synth: Synth, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


@pytest.mark.parametrize("name", sorted(EXPECTED_ENV))
def test_function_environment_names_its_resources(dev: Synth, name: str) -> None:
    env = _function(dev, name)["Environment"]["Variables"]
    assert EXPECTED_ENV[name] <= set(env), EXPECTED_ENV[name] - set(env)


@pytest.mark.parametrize("name", sorted(EXPECTED_ENV))
def test_function_reads_exactly_the_secrets_it_is_told_about(dev: Synth, name: str) -> None:
    # given the secret ARNs in the function's environment / then its role may read those secrets and no others
    props = _function(dev, name)
    told = {value["Ref"] for key, value in props["Environment"]["Variables"].items() if key in SECRET_ENV}
    role_id = props["Role"]["Fn::GetAtt"][0]
    readable = {
        resource["Ref"]
        for statement in _statements_of_role(dev, role_id)
        if "secretsmanager:GetSecretValue" in _actions(statement)
        for resource in ([statement["Resource"]] if isinstance(statement["Resource"], dict) else statement["Resource"])
    }
    assert readable == told


def test_authorizer_only_reads_the_table(dev: Synth) -> None:
    role_id = _function(dev, "authorizer")["Role"]["Fn::GetAtt"][0]
    table_actions = {
        action for statement in _statements_of_role(dev, role_id) for action in _actions(statement)
        if action.startswith("dynamodb:")
    }
    assert table_actions
    assert not [a for a in table_actions if a.split(":")[1].startswith(("Put", "Update", "Delete", "BatchWrite"))]


def test_no_function_or_task_gets_s3_listing_or_deletes(dev: Synth) -> None:
    everything = json.dumps([p["Properties"]["PolicyDocument"] for p in dev.of_type("AWS::IAM::Policy").values()])
    assert "s3:List" not in everything
    assert "s3:DeleteObject" not in everything


def test_secrets_are_generated_never_written_into_the_template(dev: Synth) -> None:
    secrets = {
        s["Properties"]["Description"]: s["Properties"] for s in dev.of_type("AWS::SecretsManager::Secret").values()
    }
    assert len(secrets) == 4
    for props in secrets.values():
        assert "SecretString" not in props
        assert "KmsKeyId" in props
    templates = {
        description: set(json.loads(props["GenerateSecretString"]["SecretStringTemplate"]))
        for description, props in secrets.items()
        if "SecretStringTemplate" in props["GenerateSecretString"]
    }
    assert set(PROVIDER_KEY_ENV) in templates.values()
    assert set(CARRIER_FIELDS) in templates.values()
    signing = next(p for d, p in secrets.items() if "signing key" in d)
    assert signing["GenerateSecretString"]["PasswordLength"] >= 64
