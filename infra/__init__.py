"""The Switchboard CDK app: one stack built from constructs (see ``infra/stack.py``)."""

from .config import StageConfig, StageConfigError, stage_config_from_context
from .stack import SwitchboardStack

__all__ = ["StageConfig", "StageConfigError", "SwitchboardStack", "stage_config_from_context"]
