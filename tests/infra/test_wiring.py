"""Each runtime gets exactly the configuration and secrets it reads (env names from switchboard.resources)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from infra.secrets import CARRIER_FIELDS
from switchboard.resources import (
    ENV_BUCKET,
    ENV_CARRIER_SECRET,
    ENV_EVENT_BUS,
    ENV_MEDIA_WSS_URL,
    ENV_OPERATOR_SECRET,
    ENV_PORT,
    ENV_PROVIDER_SECRET,
    ENV_PUBLIC_API_URL,
    ENV_STAGE,
    ENV_STREAM_TOKEN_SECRET,
    ENV_TABLE,
    PROVIDER_KEY_ENV,
)
from switchboard.store.secrets import credential_secret_name

from .conftest import Synth, logical_ids_where

SECRET_ENV = {ENV_STREAM_TOKEN_SECRET, ENV_CARRIER_SECRET, ENV_PROVIDER_SECRET, ENV_OPERATOR_SECRET}

EXPECTED_ENV = {
    # every variable the function's code reads (os.environ / ENV_*); ENV_STAGE names the tenants' secrets
    "call_setup": {ENV_TABLE, ENV_EVENT_BUS, ENV_STAGE, ENV_STREAM_TOKEN_SECRET, ENV_CARRIER_SECRET,
                   ENV_MEDIA_WSS_URL, ENV_PUBLIC_API_URL},
    "tool_call": {ENV_TABLE, ENV_EVENT_BUS, ENV_STAGE},
    "post_call": {ENV_TABLE, ENV_EVENT_BUS, ENV_STAGE, ENV_BUCKET, ENV_PROVIDER_SECRET, ENV_PUBLIC_API_URL},
    "admin_api": {ENV_TABLE, ENV_EVENT_BUS, ENV_STAGE, ENV_BUCKET, ENV_OPERATOR_SECRET, ENV_CARRIER_SECRET,
                  ENV_PUBLIC_API_URL},
    "authorizer": {ENV_TABLE, ENV_STAGE, ENV_OPERATOR_SECRET},
}

EXPECTED_WORKER_ENV = {
    # media_worker/app.py (WorkerConfig, build_app), switchboard.store.table_resource, the tool invoker's
    # POST /tools/invoke base URL, the recording/transcript bucket (runtime.call_compliance) and the platform
    # carrier secret for REST call control (runtime.carrier_accounts; tenants' own credentials are named by stage)
    ENV_STAGE, ENV_TABLE, ENV_EVENT_BUS, ENV_STREAM_TOKEN_SECRET, ENV_PUBLIC_API_URL, ENV_PORT, ENV_BUCKET,
    ENV_CARRIER_SECRET,
}

TENANT_SECRET_ACTIONS = {
    # what each function may do with switchboard/{stage}/tenants/* (tenant credentials, tool signing secrets)
    "call_setup": {"secretsmanager:GetSecretValue"},
    "tool_call": {"secretsmanager:GetSecretValue"},
    "post_call": {"secretsmanager:GetSecretValue"},
    "admin_api": {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue",
                  "secretsmanager:DeleteSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret"},
    "authorizer": set(),
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


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return list(resource) if isinstance(resource, list) else [resource]


def _arn_text(resource: Any) -> str:
    """A Fn::Join ARN as text with ``<Ref>`` placeholders, e.g. ``arn:aws:...:<AWS::AccountId>:secret:...``."""
    if isinstance(resource, str):
        return resource
    if "Ref" in resource:
        return f"<{resource['Ref']}>"
    separator, parts = resource["Fn::Join"]
    return str(separator).join(_arn_text(part) for part in parts)


def _tenant_secret_statements(synth: Synth, role_id: str) -> list[dict[str, Any]]:
    return [s for s in _statements_of_role(synth, role_id)
            if ":secret:" in json.dumps(s["Resource"]) and "/tenants/" in json.dumps(s["Resource"])]


def _role_of(synth: Synth, name: str) -> str:
    role_id: str = _function(synth, name)["Role"]["Fn::GetAtt"][0]
    return role_id


@pytest.mark.parametrize("name", sorted(EXPECTED_ENV))
def test_function_environment_names_its_resources(dev: Synth, name: str) -> None:
    env = _function(dev, name)["Environment"]["Variables"]
    assert EXPECTED_ENV[name] <= set(env), EXPECTED_ENV[name] - set(env)


@pytest.mark.parametrize("name", sorted(EXPECTED_ENV))
def test_every_function_knows_its_stage(dev: Synth, prod: Synth, name: str) -> None:
    # given the stage-named tenant secrets / then each function reads the stage it is deployed as (never "local")
    assert _function(dev, name)["Environment"]["Variables"][ENV_STAGE] == "dev"
    assert _function(prod, name)["Environment"]["Variables"][ENV_STAGE] == "prod"


def test_the_worker_is_told_everything_it_reads(dev: Synth) -> None:
    (task,) = dev.of_type("AWS::ECS::TaskDefinition").values()
    worker = next(c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "Worker")
    env = {item["Name"]: item["Value"] for item in worker["Environment"]}
    assert set(env) >= EXPECTED_WORKER_ENV, EXPECTED_WORKER_ENV - set(env)
    assert env[ENV_STAGE] == "dev"
    bucket = dev.resources[env[ENV_BUCKET]["Ref"]]  # the recordings bucket (KMS), not the access-log bucket
    assert bucket["Type"] == "AWS::S3::Bucket"
    assert "KMSMasterKeyID" in json.dumps(bucket["Properties"]["BucketEncryption"])


def test_tool_call_is_not_told_about_the_stream_token_key(dev: Synth) -> None:
    # given tool_call behind the IAM authorizer (it never reads the stream-token key) / then neither env nor grant
    env = _function(dev, "tool_call")["Environment"]["Variables"]
    assert ENV_STREAM_TOKEN_SECRET not in env
    (signing_key_id,) = logical_ids_where(dev.of_type("AWS::SecretsManager::Secret"),
                                          Description="Switchboard media-stream token signing key")
    granted = json.dumps(_statements_of_role(dev, _role_of(dev, "tool_call")))
    assert signing_key_id not in granted


@pytest.mark.parametrize("name", sorted(EXPECTED_ENV))
def test_function_reads_exactly_the_platform_secrets_it_is_told_about(dev: Synth, name: str) -> None:
    # given the secret ARNs in the function's environment / then its role may read those platform secrets and no
    # others (the tenants/* prefix is checked separately)
    props = _function(dev, name)
    told = {value["Ref"] for key, value in props["Environment"]["Variables"].items() if key in SECRET_ENV}
    readable = {
        resource["Ref"]
        for statement in _statements_of_role(dev, _role_of(dev, name))
        if "secretsmanager:GetSecretValue" in _actions(statement)
        for resource in _resources(statement)
        if "Ref" in resource
    }
    assert readable == told


@pytest.mark.parametrize("name", sorted(TENANT_SECRET_ACTIONS))
def test_function_gets_exactly_its_actions_on_the_stage_tenant_secret_prefix(dev: Synth, name: str) -> None:
    statements = _tenant_secret_statements(dev, _role_of(dev, name))
    actions = {action for statement in statements for action in _actions(statement)}
    assert actions == TENANT_SECRET_ACTIONS[name]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert [_arn_text(r) for r in _resources(statement)] == [
            "arn:aws:secretsmanager:eu-west-1:<AWS::AccountId>:secret:switchboard/dev/tenants/*"
        ]


def test_the_tenant_prefix_matches_the_names_the_code_creates_and_nothing_else(dev: Synth, prod: Synth) -> None:
    # given the granted ARN pattern / then the admin API's secret names match it (with Secrets Manager's random
    # suffix) for this stage only, and platform secrets or other stages' tenants do not
    def granted_pattern(synth: Synth) -> str:
        (statement,) = _tenant_secret_statements(synth, _role_of(synth, "admin_api"))
        (resource,) = _resources(statement)
        return _arn_text(resource).replace("<AWS::AccountId>", "111111111111")

    def arn(name: str) -> str:
        return f"arn:aws:secretsmanager:eu-west-1:111111111111:secret:{name}-AbCdEf"

    dev_pattern, prod_pattern = granted_pattern(dev), granted_pattern(prod)
    assert fnmatchcase(arn(credential_secret_name("dev", "ten_a", "twilio")), dev_pattern)
    assert fnmatchcase(arn(credential_secret_name("dev", "ten_b", "hubspot")), dev_pattern)
    assert fnmatchcase(arn(credential_secret_name("prod", "ten_a", "twilio")), prod_pattern)
    assert not fnmatchcase(arn(credential_secret_name("prod", "ten_a", "twilio")), dev_pattern)
    assert not fnmatchcase(arn("switchboard/dev/carrier"), dev_pattern)
    assert not fnmatchcase(arn("SwitchboardCarrier"), dev_pattern)


def _worker_role(synth: Synth) -> str:
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    role_id: str = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    return role_id


def test_the_worker_reads_the_secrets_it_is_told_about_and_only_tenants_carrier_credentials(dev: Synth) -> None:
    # given REST call control (the platform carrier secret, else the tenant's own twilio/telnyx credentials) /
    # then the worker may read the two platform secrets in its environment and, of tenants' secrets, exactly the
    # twilio and telnyx credentials of this stage: GetSecretValue only
    (task,) = dev.of_type("AWS::ECS::TaskDefinition").values()
    worker = next(c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "Worker")
    told = {item["Value"]["Ref"] for item in worker["Environment"] if item["Name"] in SECRET_ENV}
    statements = [s for s in _statements_of_role(dev, _worker_role(dev)) if "secretsmanager:" in json.dumps(s)]
    platform = {r["Ref"] for s in statements for r in _resources(s) if "Ref" in r}
    tenants = {_arn_text(r) for s in statements for r in _resources(s) if "Ref" not in r}
    assert platform == told and len(told) == 2
    assert tenants == {f"arn:aws:secretsmanager:eu-west-1:<AWS::AccountId>:secret:switchboard/dev/tenants/*/{p}-??????"
                       for p in ("twilio", "telnyx")}
    for statement in statements:
        if any("Ref" not in r for r in _resources(statement)):
            assert _actions(statement) == ["secretsmanager:GetSecretValue"]


def test_the_worker_pattern_matches_carrier_credentials_the_code_reads_and_nothing_else(dev: Synth) -> None:
    statements = _statements_of_role(dev, _worker_role(dev))
    patterns = [_arn_text(r).replace("<AWS::AccountId>", "111111111111")
                for s in statements for r in _resources(s) if ":secret:switchboard/" in json.dumps(r)]
    assert len(patterns) == 2

    def readable(name: str) -> bool:
        arn = f"arn:aws:secretsmanager:eu-west-1:111111111111:secret:{name}-AbCdEf"
        return any(fnmatchcase(arn, pattern) for pattern in patterns)

    assert readable(credential_secret_name("dev", "ten_a", "twilio"))
    assert readable(credential_secret_name("dev", "ten_b", "telnyx"))
    assert not readable(credential_secret_name("dev", "ten_a", "hubspot"))  # CRM tokens stay out of reach
    assert not readable(credential_secret_name("dev", "ten_a", "openai"))
    assert not readable("switchboard/dev/tenants/ten_a/tool-signing")
    assert not readable(credential_secret_name("prod", "ten_a", "twilio"))


def test_authorizer_only_reads_the_table(dev: Synth) -> None:
    role_id = _function(dev, "authorizer")["Role"]["Fn::GetAtt"][0]
    table_actions = {
        action for statement in _statements_of_role(dev, role_id) if statement["Effect"] == "Allow"
        for action in _actions(statement) if action.startswith("dynamodb:")
    }
    assert table_actions
    assert not [a for a in table_actions if a.split(":")[1].startswith(("Put", "Update", "Delete", "BatchWrite"))]


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
