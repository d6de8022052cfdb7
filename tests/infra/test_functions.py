"""Lambdas: Python 3.13, X-Ray, Powertools env, shared layer, synchronous invocation only, lean code assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import BundlingOptions, DockerImage
from aws_cdk.assertions import Match

from infra.assets import LAMBDA_PLATFORM, LayerBundlingError, PipLayerBundling, pip_install_command
from infra.functions import FUNCTION_SPECS
from switchboard.resources import ENV_STAGE, ENV_TABLE, RULES

from .conftest import Synth, logical_ids_where

OUR_FUNCTIONS = {spec.name for spec in FUNCTION_SPECS}


def _ours(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["Handler"].split(".")[1]: r
        for r in synth.of_type("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"].startswith("functions.")
    }


def test_all_five_functions_exist_with_their_handlers(dev: Synth) -> None:
    functions = _ours(dev)
    assert set(functions) == {"call_setup", "tool_call", "post_call", "admin_api", "authorizer"} == OUR_FUNCTIONS
    for name, fn in functions.items():
        assert fn["Properties"]["Handler"] == f"functions.{name}.handler.lambda_handler"


def test_every_function_runs_python_313_with_active_tracing_and_powertools(dev: Synth) -> None:
    for name, fn in _ours(dev).items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.13", name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_SERVICE_NAME"] == name
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Switchboard"
        assert env[ENV_STAGE] == "dev"
        assert ENV_TABLE in env


def test_every_function_uses_the_one_dependency_layer(dev: Synth) -> None:
    (layer_id,) = dev.of_type("AWS::Lambda::LayerVersion")
    dev.template.has_resource_properties("AWS::Lambda::LayerVersion", {"CompatibleRuntimes": ["python3.13"]})
    for name, fn in _ours(dev).items():
        assert fn["Properties"]["Layers"] == [{"Ref": layer_id}], name


def test_every_function_logs_to_its_own_retained_group_and_role(dev: Synth) -> None:
    roles = set()
    for name, fn in _ours(dev).items():
        group_id = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert dev.resources[group_id]["Properties"]["RetentionInDays"] == 30, name
        roles.add(fn["Properties"]["Role"]["Fn::GetAtt"][0])
    assert len(roles) == len(OUR_FUNCTIONS)
    for role_id in roles:
        assert "ManagedPolicyArns" not in dev.resources[role_id]["Properties"]


def test_no_function_is_set_up_for_asynchronous_invocation(dev: Synth) -> None:
    # given tool calls over POST /tools/invoke (IAM route) and post_call on its SQS queue / then no function has an
    # async on-failure destination or retry settings, and no role may invoke a function directly
    assert dev.of_type("AWS::Lambda::EventInvokeConfig") == {}
    assert "lambda:InvokeFunction" not in json.dumps(
        [policy["Properties"]["PolicyDocument"] for policy in dev.of_type("AWS::IAM::Policy").values()])
    (tool_call_id,) = logical_ids_where(dev.of_type("AWS::Lambda::Function"),
                                      Handler="functions.tool_call.handler.lambda_handler")
    callers = {permission["Properties"]["Principal"] for permission in dev.of_type("AWS::Lambda::Permission").values()
               if permission["Properties"]["FunctionName"] == {"Fn::GetAtt": [tool_call_id, "Arn"]}}
    assert callers == {"apigateway.amazonaws.com"}


def test_post_call_consumes_its_rule_queue_reporting_batch_item_failures(dev: Synth) -> None:
    post_call_id = next(iter(logical_ids_where(dev.of_type("AWS::Lambda::Function"),
                                               Handler="functions.post_call.handler.lambda_handler")))
    mappings = dev.of_type("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len([r for r in RULES if r.consumer == "post_call"])
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FunctionName": {"Ref": post_call_id}, "FunctionResponseTypes": ["ReportBatchItemFailures"],
         "EventSourceArn": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
    )


def test_visibility_timeout_outlasts_the_consumer(dev: Synth) -> None:
    post_call = _ours(dev)["post_call"]["Properties"]
    mapping = next(iter(dev.of_type("AWS::Lambda::EventSourceMapping").values()))
    queue_id = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
    assert dev.resources[queue_id]["Properties"]["VisibilityTimeout"] >= 6 * post_call["Timeout"]


def test_function_code_assets_hold_only_the_shared_package_and_one_function(dev: Synth) -> None:
    # given the staged code asset of each function / then it contains switchboard/ and at most its own folder
    for name, fn in _ours(dev).items():
        asset_hash = fn["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        staged = dev.outdir / f"asset.{asset_hash}"
        assert staged.is_dir(), name
        assert {p.name for p in staged.iterdir()} <= {"switchboard", "functions"}
        assert (staged / "switchboard" / "resources.py").is_file()
        functions_dir = staged / "functions"
        if functions_dir.exists():  # identical contents share one staged dir, so compare files, not empty dirs
            shipped = {path.relative_to(functions_dir).parts[0] for path in functions_dir.rglob("*") if path.is_file()}
            assert shipped <= {name, "__init__.py"}, name
        assert not list(staged.rglob("__pycache__"))


def test_layer_pip_command_targets_the_lambda_platform(tmp_path: Path) -> None:
    command = pip_install_command(Path("functions/requirements.txt"), tmp_path / "python")
    joined = " ".join(command)
    assert f"--platform {LAMBDA_PLATFORM}" in joined
    assert "--python-version 3.13" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command
    assert f"--target {tmp_path / 'python'}" in joined


def test_layer_bundling_failure_is_a_typed_error_not_a_docker_fallback(tmp_path: Path) -> None:
    # given a requirements file that does not exist / when the local bundler runs / then it raises with pip's output
    bundler = PipLayerBundling(tmp_path / "missing-requirements.txt")
    with pytest.raises(LayerBundlingError, match="missing-requirements.txt"):
        bundler.try_bundle(str(tmp_path / "out"), BundlingOptions(image=DockerImage.from_registry("unused")))


def test_layer_is_an_asset_even_when_bundling_is_skipped(dev: Synth) -> None:
    # given skipped bundling in tests / then the layer still points at a zip asset, so the stack synthesizes
    (layer,) = dev.of_type("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["Content"]["S3Key"].endswith(".zip")
