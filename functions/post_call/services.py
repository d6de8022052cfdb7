"""Wiring for post_call: configuration from the environment and the collaborators, built once per container.

Rebuilt only when the relevant environment changes (tests run many stacks in one process).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
import openai

from switchboard import resources as r
from switchboard.crm import CrmWriter, build_writer, policy_from_env, tenant_credentials
from switchboard.errors import NotFound
from switchboard.events import CallEnded
from switchboard.models import Assistant, Tenant
from switchboard.pricing import load_price_table
from switchboard.publisher import EventPublisher
from switchboard.store.assistants import get_assistant
from switchboard.store.secrets import CredentialReader
from switchboard.store.tenants import get_tenant

from .analyzer import CallAnalyzer
from .pipeline import PostCall, idempotency_config

ENV_ANALYSIS_MODEL = "SWITCHBOARD_ANALYSIS_MODEL"
ENV_ANALYSIS_TIMEOUT_S = "SWITCHBOARD_ANALYSIS_TIMEOUT_S"
ENV_HIPAA_KMS_KEY = "SWITCHBOARD_HIPAA_KMS_KEY_ARN"
"""The stage's dedicated KMS key for HIPAA data (see docs/compliance.md); unset: HIPAA calls store no transcript."""
_ENV_KEYS = (
    "AWS_ENDPOINT_URL", r.ENV_TABLE, r.ENV_EVENT_BUS, r.ENV_STAGE, r.ENV_PROVIDER_SECRET, r.ENV_PUBLIC_API_URL,
    ENV_ANALYSIS_MODEL, ENV_ANALYSIS_TIMEOUT_S, "OPENAI_BASE_URL", "SWITCHBOARD_PRICE_TABLE",
    "SWITCHBOARD_CRM_ATTEMPTS", "SWITCHBOARD_CRM_BACKOFF_S", "SWITCHBOARD_CRM_TIMEOUT_S",
    "SWITCHBOARD_HUBSPOT_URL", "SWITCHBOARD_SALESFORCE_URL", "SWITCHBOARD_GOHIGHLEVEL_URL",
    "SWITCHBOARD_PIPEDRIVE_URL", ENV_HIPAA_KMS_KEY,
)


@dataclass(frozen=True)
class PostCallConfig:
    table_name: str
    event_bus: str
    stage: str
    provider_secret_arn: str | None
    public_api_url: str | None
    analysis_model: str
    analysis_timeout_s: float
    hipaa_kms_key_id: str | None
    env: Mapping[str, str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PostCallConfig:
        return cls(
            table_name=env[r.ENV_TABLE],
            event_bus=env[r.ENV_EVENT_BUS],
            stage=env.get(r.ENV_STAGE, "local"),
            provider_secret_arn=env.get(r.ENV_PROVIDER_SECRET),
            public_api_url=env.get(r.ENV_PUBLIC_API_URL),
            analysis_model=env.get(ENV_ANALYSIS_MODEL, "gpt-4o-mini"),
            analysis_timeout_s=float(env.get(ENV_ANALYSIS_TIMEOUT_S, "30")),
            hipaa_kms_key_id=env.get(ENV_HIPAA_KMS_KEY) or None,
            env=dict(env),
        )


def _openai_client(config: PostCallConfig, secrets: Any) -> openai.OpenAI | None:
    if not config.provider_secret_arn:
        return None
    keys = json.loads(secrets.get_secret_value(SecretId=config.provider_secret_arn)["SecretString"] or "{}")
    api_key = keys.get("openai")
    if not api_key:
        return None
    return openai.OpenAI(api_key=api_key, base_url=config.env.get("OPENAI_BASE_URL"), max_retries=0,
                         timeout=config.analysis_timeout_s)


def build_post_call(config: PostCallConfig) -> PostCall:
    table = boto3.resource("dynamodb").Table(config.table_name)
    secrets = boto3.client("secretsmanager")
    reader = CredentialReader(secrets, stage=config.stage)
    policy = policy_from_env(config.env)

    def load_assistant(tenant_id: str, assistant_id: str) -> Assistant | None:
        try:
            return get_assistant(table, tenant_id, assistant_id)
        except NotFound:
            return None

    def load_tenant(tenant_id: str) -> Tenant | None:
        try:
            return get_tenant(table, tenant_id)
        except NotFound:
            return None

    def crm_writer(tenant_id: str, assistant: Assistant) -> CrmWriter:
        credentials = tenant_credentials(assistant.crm, tenant_id=tenant_id, stage=config.stage, reader=reader,
                                         secrets_client=secrets)
        return build_writer(assistant.crm, credentials, policy=policy, env=config.env)

    def recording_link(event: CallEnded) -> str | None:
        if event.recording_key is None or not config.public_api_url:
            return None
        return f"{config.public_api_url.rstrip('/')}/v1/calls/{event.call_id}"  # detail incl. presigned recording URL

    return PostCall(
        table=table,
        ddb_client=boto3.client("dynamodb"),
        publisher=EventPublisher(boto3.client("events"), config.event_bus),
        analyzer=CallAnalyzer(_openai_client(config, secrets), model=config.analysis_model),
        price_table=load_price_table(config.env.get("SWITCHBOARD_PRICE_TABLE")),
        load_assistant=load_assistant,
        load_tenant=load_tenant,
        crm_writer=crm_writer,
        recording_link=recording_link,
        idempotency=idempotency_config(),
        hipaa_kms_key_id=config.hipaa_kms_key_id,
    )


@lru_cache(maxsize=4)
def _cached(snapshot: tuple[tuple[str, str | None], ...]) -> PostCall:
    return build_post_call(PostCallConfig.from_env({k: v for k, v in os.environ.items()}))


def post_call_service() -> PostCall:
    """The PostCall for the current environment (cached while the relevant variables stay the same)."""
    return _cached(tuple((k, os.environ.get(k)) for k in _ENV_KEYS))


def reset() -> None:
    """Forget cached services (tests that rewrite secrets in place)."""
    _cached.cache_clear()
