"""Where the admin API's resources are: read from the environment, clients built once per target."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3

from switchboard.resources import ENV_BUCKET, ENV_OPERATOR_SECRET, ENV_PUBLIC_API_URL, ENV_STAGE, ENV_TABLE
from switchboard.store import table_resource

ENV_TWILIO_API_BASE_URL = "TWILIO_API_BASE_URL"
"""Unset in production. Tests and the local demo point the twilio SDK at ``fakes.twilio_rest`` with it."""


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    bucket: str
    stage: str
    public_api_url: str
    operator_secret_id: str
    twilio_api_base_url: str | None


def settings() -> Settings:
    return Settings(
        table_name=os.environ[ENV_TABLE],
        bucket=os.environ.get(ENV_BUCKET, ""),
        stage=os.environ.get(ENV_STAGE, "local"),
        public_api_url=os.environ.get(ENV_PUBLIC_API_URL, "http://127.0.0.1:3000").rstrip("/"),
        operator_secret_id=os.environ.get(ENV_OPERATOR_SECRET, ""),
        twilio_api_base_url=os.environ.get(ENV_TWILIO_API_BASE_URL) or None,
    )


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL")


@lru_cache(maxsize=4)
def _table(name: str, endpoint: str | None) -> Any:
    return table_resource(name)


@lru_cache(maxsize=8)
def _client(service: str, endpoint: str | None) -> Any:
    return boto3.client(service)


def table() -> Any:
    return _table(settings().table_name, _endpoint())


def audit_table() -> Any:
    """Where audit entries go: the platform table (``AUDIT#`` partitions, append-only by IAM)."""
    return table()


def secrets_client() -> Any:
    return _client("secretsmanager", _endpoint())


def s3_client() -> Any:
    return _client("s3", _endpoint())
