"""Wiring for the tool_call Lambda, built once per container (rebuilt if the environment changes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3

from switchboard.models import Assistant, CallRecord, Tenant
from switchboard.publisher import EventPublisher
from switchboard.resources import ENV_EVENT_BUS, ENV_STAGE, ENV_TABLE
from switchboard.store import get_assistant, get_tenant, table_resource
from switchboard.store.calls import get_call
from switchboard.tools import DEFAULT_MAX_RESPONSE_BYTES, WebhookClient

from .invocation import ToolRunner
from .signing_secrets import SigningSecrets

ENV_MAX_RESPONSE_BYTES = "SWITCHBOARD_TOOL_MAX_RESPONSE_BYTES"


@dataclass(frozen=True, slots=True)
class ToolCallConfig:
    table_name: str
    event_bus: str
    stage: str
    max_response_bytes: int
    endpoint_url: str | None

    @classmethod
    def from_environment(cls) -> ToolCallConfig:
        return cls(
            table_name=os.environ[ENV_TABLE],
            event_bus=os.environ[ENV_EVENT_BUS],
            stage=os.environ.get(ENV_STAGE, "local"),
            max_response_bytes=int(os.environ.get(ENV_MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_BYTES)),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        )


class TableDirectory:
    def __init__(self, table: Any) -> None:
        self._table = table

    def tenant(self, tenant_id: str) -> Tenant:
        return get_tenant(self._table, tenant_id)

    def assistant(self, tenant_id: str, assistant_id: str) -> Assistant:
        return get_assistant(self._table, tenant_id, assistant_id)

    def call(self, tenant_id: str, call_id: str) -> CallRecord:
        return get_call(self._table, tenant_id, call_id)


class ServiceCache:
    def __init__(self, *, logger: Any) -> None:
        self._logger = logger
        self._built: tuple[ToolCallConfig, ToolRunner] | None = None

    def runner(self) -> ToolRunner:
        config = ToolCallConfig.from_environment()
        if self._built is None or self._built[0] != config:
            self._built = (config, self._build(config))
        return self._built[1]

    def _build(self, config: ToolCallConfig) -> ToolRunner:
        return ToolRunner(
            directory=TableDirectory(table_resource(config.table_name)),
            secrets=SigningSecrets(boto3.client("secretsmanager"), stage=config.stage),
            webhooks=WebhookClient(),
            publisher=EventPublisher(boto3.client("events"), config.event_bus),
            logger=self._logger,
            max_response_bytes=config.max_response_bytes,
        )
