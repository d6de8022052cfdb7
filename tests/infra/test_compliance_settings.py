"""The stage's optional HIPAA key and BAA list reach the runtimes that read them, with the key access each needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.post_call import services as post_call_services
from infra.config import StageConfig
from infra.stack import ENV_HIPAA_KMS_KEY
from media_worker.runtime import call_compliance
from switchboard.hipaa import ENV_BAA_PROVIDERS, baa_providers

from .conftest import COMPLIANCE_SETTINGS, HIPAA_KEY_ARN, Synth
from .iam_grants import grants, role_names

RUNTIMES = ("admin_api", "post_call", "worker")
HIPAA_KEY_ACCESS = {
    # the worker puts (GenerateDataKey) and assembles, reading segments back (Decrypt, also for multipart);
    # the admin API presigns GETs of HIPAA recordings (S3 decrypts as the signer); post_call reads no object
    "worker": {"kms:GenerateDataKey", "kms:Decrypt"},
    "admin_api": {"kms:Decrypt"},
}


def environments(synth: Synth) -> dict[str, dict[str, Any]]:
    """Runtime name -> its environment variables (functions by handler, ``worker`` for the container)."""
    found = {}
    for fn in synth.of_type("AWS::Lambda::Function").values():
        handler = fn["Properties"].get("Handler", "")
        if handler.startswith("functions."):
            found[handler.split(".")[1]] = fn["Properties"]["Environment"]["Variables"]
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    worker = next(c for c in task["Properties"]["ContainerDefinitions"] if c["Name"] == "Worker")
    found["worker"] = {item["Name"]: item["Value"] for item in worker["Environment"]}
    return found


def test_the_env_name_is_the_one_the_worker_and_post_call_read() -> None:
    assert ENV_HIPAA_KMS_KEY == call_compliance.ENV_HIPAA_KMS_KEY == post_call_services.ENV_HIPAA_KMS_KEY


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_settings_reach_the_runtime_in_the_format_it_parses(compliant: Synth, runtime: str) -> None:
    # given a stage with a HIPAA key and three BAA providers / then the runtime gets the key ARN and the providers
    # comma-separated, which switchboard.hipaa.baa_providers reads back as the configured set (lower case)
    env = environments(compliant)[runtime]
    assert env[ENV_HIPAA_KMS_KEY] == HIPAA_KEY_ARN
    assert env[ENV_BAA_PROVIDERS] == "deepgram,openai,cartesia"
    assert baa_providers(env) == {"deepgram", "openai", "cartesia"}


def test_without_the_settings_no_runtime_is_told_anything(dev: Synth) -> None:
    # given cdk.json's dev stage (no HIPAA key, no BAA providers) / then no runtime carries either variable, so
    # HIPAA calls store nothing and every HIPAA assistant with a vendor provider is refused
    for runtime, env in environments(dev).items():
        assert ENV_HIPAA_KMS_KEY not in env, runtime
        assert ENV_BAA_PROVIDERS not in env, runtime


def _hipaa_key_grants(synth: Synth) -> dict[str, set[str]]:
    names = role_names(synth)
    found: dict[str, set[str]] = {}
    for role, (action, resource, condition) in grants(synth):
        if resource == HIPAA_KEY_ARN:
            assert json.loads(condition) == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
            found.setdefault(names.get(role, role), set()).add(action)
    return found


def test_each_runtime_gets_only_the_hipaa_key_access_it_needs_and_only_through_s3(compliant: Synth) -> None:
    assert _hipaa_key_grants(compliant) == HIPAA_KEY_ACCESS


def test_no_hipaa_key_no_key_grant(dev: Synth) -> None:
    assert _hipaa_key_grants(dev) == {}
    assert HIPAA_KEY_ARN not in json.dumps(dev.template.to_json())


def test_the_compliant_stage_is_nag_clean(compliant: Synth) -> None:
    violations = [v for plugin in compliant.validation_report()["pluginReports"] for v in plugin["violations"]]
    assert violations == []


def _stage(**settings: Any) -> StageConfig:
    base = {"name": "dev", "region": "eu-west-1", "media_domain": "media.example.com",
            "certificate_arn": "arn:aws:acm:eu-west-1:111111111111:certificate/x"}
    return StageConfig.model_validate({**base, **settings})


@pytest.mark.parametrize("settings", [
    {"baa_providers": ["deepgramm"]},  # a typo would refuse every HIPAA call using deepgram
    {"hipaa_kms_key_arn": HIPAA_KEY_ARN.replace("eu-west-1", "us-east-1")},  # S3 needs a key in its region
    {"hipaa_kms_key_arn": "arn:aws:kms:eu-west-1:111111111111:alias/hipaa"},  # grants need the key ARN
])
def test_bad_compliance_settings_fail_the_synth(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="baa_providers|hipaa_kms_key_arn"):
        _stage(**settings)


def test_baa_providers_are_normalised_like_the_runtime_reads_them() -> None:
    assert _stage(**COMPLIANCE_SETTINGS).baa_providers == ("deepgram", "openai", "cartesia")
