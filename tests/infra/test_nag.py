"""cdk-nag AwsSolutions runs on every synth; nothing is left unacknowledged, and each acknowledgment is reasoned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks

from .conftest import Synth


def _violations(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_unacknowledged_findings(stage: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(stage)
    assert _violations(synth.validation_report()) == []


def test_acknowledgments_are_individual_and_reasoned(dev: Synth) -> None:
    # given the acknowledgments recorded in construct metadata / then each names one rule and gives a reason
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [
        (construct.node.path, rule_id, reason)
        for construct in dev.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule_id, reason in entry.data.items()
        if "AwsSolutions-" in rule_id
    ]
    assert len(acknowledged) >= 20
    for path, rule_id, reason in acknowledged:
        assert rule_id.startswith("AwsSolutions::AwsSolutions-"), (path, rule_id)
        assert "*" not in rule_id.split("[")[0], (path, rule_id)  # one rule, never a prefix match
        assert len(reason) >= 40, (path, rule_id)
    assert not [path for path, _, _ in acknowledged if path == dev.stack.node.path], "no stack-wide acknowledgments"


def test_the_check_is_live_an_unencrypted_queue_fails_synthesis(tmp_path: Path) -> None:
    # given an app with the same plugin and a queue without encryption, SSL or DLQ / when synthesized / then it fails
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "NagProbe")
    sqs.CfnQueue(stack, "Plain")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_the_iam_authorised_tools_route_passes_apig4_without_an_acknowledgment(dev: Synth) -> None:
    # given POST /tools/invoke behind the IAM authorizer / then nothing under it is acknowledged, and (with
    # test_no_unacknowledged_findings) APIG4 does not fire for it
    route = dev.stack.api.routes[("POST", "/tools/invoke")]
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [
        rule_id
        for construct in route.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule_id in entry.data
    ]
    assert acknowledged == []
    assert _violations(dev.validation_report()) == []
