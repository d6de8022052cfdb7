"""Synthesizes the real app once per configuration and session (bundling skipped, cdk-nag on).

- ``dev``: exactly what ``app.py`` builds from ``cdk.json``'s default context.
- ``prod``: the same app with ``-c stage=prod``.
- ``compliant``: ``dev`` with the optional compliance settings set (:data:`COMPLIANCE_SETTINGS`).

Each is a :class:`Synth`: the ``assertions.Template``, the stack object, the cloud-assembly
directory (staged assets, validation report) and the assembly manifest.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = REPO_ROOT / "cdk.json"


@dataclass(frozen=True)
class Synth:
    template: Template
    stack: Any  # infra.SwitchboardStack
    outdir: Path
    manifest: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.to_json()["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {logical_id: dict(resource) for logical_id, resource in
                self.template.find_resources(resource_type).items()}

    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report


def load_app_module() -> ModuleType:
    """Imports the repository's ``app.py`` (the CDK entry point) without running its ``__main__`` block."""
    spec = importlib.util.spec_from_file_location("switchboard_cdk_app", REPO_ROOT / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def synthesize(outdir: Path, **context: Any) -> Synth:
    # CDK caches asset staging per process; an earlier app in this session must not make this one
    # skip staging into its own outdir (the asset tests read the staged files).
    cdk.AssetStaging.clear_asset_hash_cache()
    app = cdk.App(
        context={**cdk_json_context(), "aws:cdk:bundling-stacks": [], **context},
        outdir=str(outdir),
    )
    stack = load_app_module().build(app)
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    manifest = json.loads((outdir / "manifest.json").read_text())
    return Synth(template=Template.from_json(artifact.template), stack=stack, outdir=outdir, manifest=manifest)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-prod"), stage="prod")


HIPAA_KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
COMPLIANCE_SETTINGS = {"hipaa_kms_key_arn": HIPAA_KEY_ARN, "baa_providers": ["deepgram", "openai", "Cartesia"]}


@pytest.fixture(scope="session")
def compliant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    stages = cdk_json_context()["stages"]
    return synthesize(tmp_path_factory.mktemp("cdk-compliant"),
                      stages={**stages, "dev": {**stages["dev"], **COMPLIANCE_SETTINGS}})


@pytest.fixture(scope="session")
def dev_stage() -> dict[str, Any]:
    stages: dict[str, Any] = cdk_json_context()["stages"]
    return {"name": "dev", **stages["dev"]}


@pytest.fixture(scope="session")
def prod_stage() -> dict[str, Any]:
    stages: dict[str, Any] = cdk_json_context()["stages"]
    return {"name": "prod", **stages["prod"]}


def logical_ids_where(resources: dict[str, dict[str, Any]], **properties: Any) -> set[str]:
    """Logical ids of resources whose Properties contain all ``properties`` (looked up, never hard-coded)."""
    return {
        logical_id
        for logical_id, resource in resources.items()
        if all(resource.get("Properties", {}).get(key) == value for key, value in properties.items())
    }
