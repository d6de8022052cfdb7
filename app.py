#!/usr/bin/env python3
"""CDK entry point: ``npx cdk synth -c stage=dev`` (default stage from cdk.json context)."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra import SwitchboardStack, stage_config_from_context


def build(app: cdk.App) -> SwitchboardStack:
    """Adds the selected stage's stack and the cdk-nag AwsSolutions checks to ``app``."""
    config = stage_config_from_context(app.node)
    stack = SwitchboardStack(app, f"Switchboard-{config.name}", config=config)
    cdk.Tags.of(stack).add("project", "switchboard")
    cdk.Tags.of(stack).add("stage", config.name)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
