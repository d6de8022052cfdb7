"""Per-stage settings, read from the ``stages`` map in ``cdk.json`` context and selected with ``-c stage=NAME``.

Nothing here looks anything up in AWS: synthesis needs no credentials.
"""

from __future__ import annotations

from typing import Annotated, get_args

from aws_cdk import aws_logs as logs
from constructs import Node
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from switchboard.models.assistant import CrmProvider, LlmProvider, SttProvider, TtsProvider

DEFAULT_STAGE = "dev"
KNOWN_PROVIDERS = frozenset(name for kind in (SttProvider, LlmProvider, TtsProvider, CrmProvider)
                            for name in get_args(kind))
"""Provider names as assistants spell them (``switchboard.models.assistant``): what ``baa_providers`` may list."""
KMS_KEY_ARN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"

_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class StageConfigError(ValueError):
    """The selected stage is missing from ``cdk.json`` or its settings are invalid."""


class StageConfig(BaseModel):
    """One deployment stage: where it lives, how big it is, how long it keeps data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    """If set, the deployment fails (CloudFormation rule) unless it targets this account."""
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
    """Data residency: every resource of the stage lives in this region."""
    production: bool = False
    media_domain: Annotated[str, Field(min_length=3)]
    """DNS name that points at the media load balancer (``wss://<media_domain>``)."""
    certificate_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:acm:")]
    min_tasks: Annotated[int, Field(ge=1)] = 1
    max_tasks: Annotated[int, Field(ge=1)] = 4
    calls_per_task: Annotated[int, Field(ge=1)] = 50
    """Target value for autoscaling on the per-task ActiveCalls metric."""
    retention_days: Annotated[int, Field(ge=1)] = 30
    """How long the event archive keeps events. Recordings and transcripts expire by their own retention tag
    (tenant/assistant retention, ``switchboard.retention``), never by this."""
    log_retention_days: int = 30
    deregistration_delay_seconds: Annotated[int, Field(ge=0, le=3600)] = 900
    voice_to_voice_p95_alarm_ms: Annotated[int, Field(ge=1)] = 1500
    alarm_email: str | None = None
    hipaa_kms_key_arn: Annotated[str, Field(pattern=KMS_KEY_ARN)] | None = None
    """Dedicated KMS key for HIPAA recordings and transcripts (SSE-KMS); unset: HIPAA calls store nothing.
    A key ARN (not an alias) in the stage's region; its key policy must let this account's IAM grant it."""
    baa_providers: tuple[str, ...] = ()
    """Providers with a signed BAA (``SWITCHBOARD_BAA_PROVIDERS``): a HIPAA assistant may use only these."""

    @field_validator("baa_providers")
    @classmethod
    def _known_providers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(name.strip().lower() for name in value))
        unknown = sorted(set(names) - KNOWN_PROVIDERS)
        if unknown:
            raise ValueError(f"baa_providers names unknown providers {unknown} (known: {sorted(KNOWN_PROVIDERS)})")
        return names

    @field_validator("log_retention_days")
    @classmethod
    def _known_retention(cls, value: int) -> int:
        if value not in _RETENTION:
            raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION)}")
        return value

    @model_validator(mode="after")
    def _task_range(self) -> StageConfig:
        if self.max_tasks < self.min_tasks:
            raise ValueError(f"max_tasks ({self.max_tasks}) is below min_tasks ({self.min_tasks})")
        return self

    @model_validator(mode="after")
    def _hipaa_key_in_region(self) -> StageConfig:
        # S3 encrypts only with a KMS key in the bucket's region.
        if self.hipaa_kms_key_arn and self.hipaa_kms_key_arn.split(":")[3] != self.region:
            raise ValueError(f"hipaa_kms_key_arn must be a key in the stage's region {self.region}")
        return self

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]


def stage_config_from_context(node: Node) -> StageConfig:
    """Reads ``stage`` (default ``dev``) and ``stages.<stage>`` from the app's context."""
    name = node.try_get_context("stage") or DEFAULT_STAGE
    stages = node.try_get_context("stages") or {}
    if not isinstance(stages, dict) or name not in stages:
        known = ", ".join(sorted(stages)) if isinstance(stages, dict) else "none"
        raise StageConfigError(f"stage {name!r} is not defined in cdk.json context 'stages' (known: {known})")
    try:
        return StageConfig.model_validate({"name": name, **stages[name]})
    except ValidationError as exc:
        raise StageConfigError(f"invalid settings for stage {name!r}: {exc}") from exc
