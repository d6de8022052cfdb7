"""The CDK entry point and its configuration: offline synth from cdk.json, stage selection, no lookups."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config import StageConfig, StageConfigError

from .conftest import CDK_JSON, REPO_ROOT, Synth, cdk_json_context, synthesize


def test_app_synthesizes_the_default_stage_from_cdk_json(dev: Synth) -> None:
    # given cdk.json's context with no stage override / when app.py builds and synthesizes / then
    assert cdk_json_context()["stage"] == "dev"
    assert dev.stack.stack_name == "Switchboard-dev"
    assert (dev.outdir / "Switchboard-dev.template.json").is_file()


def test_synthesis_needs_no_lookups(dev: Synth) -> None:
    # given a synthesized assembly / then no context lookup was requested and the account stays unresolved
    assert dev.manifest.get("missing", []) == []
    assert dev.manifest["artifacts"]["Switchboard-dev"]["environment"] == "aws://unknown-account/eu-west-1"


def test_cdk_json_runs_offline_without_notices_or_telemetry() -> None:
    # given the CLI configuration / then it runs the venv's python and never phones home
    settings = json.loads(CDK_JSON.read_text())
    assert settings["app"] == ".venv/bin/python app.py"
    assert settings["notices"] is False
    assert settings["context"]["cli-telemetry"] is False


def test_every_stage_in_cdk_json_is_valid() -> None:
    # given every stage in cdk.json / when validated / then all parse and name their data-residency region
    for name, settings in cdk_json_context()["stages"].items():
        config = StageConfig.model_validate({"name": name, **settings})
        assert config.region


def test_unknown_stage_is_a_clear_error(tmp_path: Path) -> None:
    # given a stage that cdk.json does not define / when synthesizing / then a typed error names it
    with pytest.raises(StageConfigError, match="'qa'"):
        synthesize(tmp_path, stage="qa")


@pytest.mark.parametrize(
    ("override", "field"),
    [({"min_tasks": 5, "max_tasks": 2}, "max_tasks"), ({"log_retention_days": 42}, "log_retention_days"),
     ({"certificate_arn": "not-an-arn"}, "certificate_arn"), ({"surprise": 1}, "surprise")],
)
def test_invalid_stage_settings_are_rejected(dev_stage: dict[str, Any], override: dict[str, Any], field: str) -> None:
    # given a dev stage with one bad setting / when validated / then the error names the setting
    with pytest.raises(ValueError, match=field):
        StageConfig.model_validate({**dev_stage, **override})


def test_configured_account_is_enforced_at_deploy_time_not_synth(tmp_path: Path) -> None:
    # given a stage pinned to an account / when synthesized offline / then a CloudFormation rule guards the account
    stages = cdk_json_context()["stages"]
    pinned = synthesize(tmp_path, stage="dev", stages={**stages, "dev": {**stages["dev"], "account": "123456789012"}})
    (assertion,) = pinned.template.to_json()["Rules"]["DeployToConfiguredAccount"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "123456789012"]}
    assert pinned.manifest.get("missing", []) == []


def test_stage_settings_reach_the_template(dev: Synth, dev_stage: dict[str, Any]) -> None:
    # given dev's certificate ARN and task counts / then the listener and the scalable target use them
    dev.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Certificates": [{"CertificateArn": dev_stage["certificate_arn"]}]},
    )
    dev.template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"MinCapacity": dev_stage["min_tasks"], "MaxCapacity": dev_stage["max_tasks"]},
    )
    dev.template.has_output("MediaWssUrl", {"Value": f"wss://{dev_stage['media_domain']}"})
    dev.template.has_output("ApiUrl", {"Value": Match.any_value()})


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {node["Ref"]}
        if set(node) == {"Fn::GetAtt"}:
            return {node["Fn::GetAtt"][0]}
        if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
            return {ref.split(".")[0] for ref in re.findall(r"\$\{([^}!]+)\}", node["Fn::Sub"])}
        return set().union(*(_references(value) for value in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def test_template_has_no_dependency_cycles(dev: Synth) -> None:
    # given every Ref/GetAtt/DependsOn edge between resources / then CloudFormation can order them (no cycle)
    resources = dev.resources
    edges = {
        logical_id: (_references(resource.get("Properties", {})) | set(resource.get("DependsOn", []))) & set(resources)
        for logical_id, resource in resources.items()
    }
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in visiting, f"dependency cycle: {' -> '.join((*path, node))}"
        if node in done:
            return
        visiting.add(node)
        for dependency in edges[node]:
            visit(dependency, (*path, node))
        visiting.discard(node)
        done.add(node)

    for logical_id in resources:
        visit(logical_id, ())


def test_app_entry_point_synthesizes_as_the_cli_runs_it(tmp_path: Path) -> None:
    # given the context the CDK CLI passes (cdk.json + skipped bundling) / when `python app.py` runs / then it writes
    # the stack template and exits 0
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), "aws:cdk:bundling-stacks": []}),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    done = subprocess.run([sys.executable, str(REPO_ROOT / "app.py")], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    template = json.loads((tmp_path / "Switchboard-dev.template.json").read_text())
    assert any(r["Type"] == "AWS::ECS::Service" for r in template["Resources"].values())
