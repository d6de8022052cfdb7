"""Secrets Manager secrets. Values never appear in the template, the environment or the logs."""

from __future__ import annotations

import json

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from switchboard.resources import PROVIDER_KEY_ENV
from switchboard.store.secrets import credential_secret_name

CARRIER_FIELDS = ("twilio_account_sid", "twilio_auth_token", "telnyx_api_key", "telnyx_public_key")
"""Fields of the carrier JSON secret, as read by call_setup and admin_api."""


TENANT_SECRET_READ = ("secretsmanager:GetSecretValue",)
"""Runtimes read tenant credentials (CRM, own carrier account) and tool signing secrets."""
TENANT_SECRET_MANAGE = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:GetSecretValue",
    "secretsmanager:DeleteSecret",
    "secretsmanager:TagResource",
    "secretsmanager:DescribeSecret",
)
"""The admin API writes them (``switchboard.store.secrets.put_credentials``: put, else create with tags)."""


def tenant_secret_name_pattern(stage: str) -> str:
    """``switchboard/{stage}/tenants/*``: every tenant's secrets, derived from the code that names them.

    Tenant secrets are created by the admin API without ``KmsKeyId``, so they use the account's
    ``aws/secretsmanager`` key, which any principal of the account may use through Secrets Manager:
    reading them needs no KMS grant.
    """
    sample = credential_secret_name(stage, "TENANT", "PROVIDER")
    return sample[: sample.index("TENANT")] + "*"


CARRIER_CREDENTIALS = ("twilio", "telnyx")
"""Tenant credentials the worker reads for REST call control (``media_worker/runtime/carrier_accounts.py``)."""


def tenant_credential_name_pattern(stage: str, provider: str) -> str:
    """``switchboard/{stage}/tenants/*/{provider}-??????``: one provider's credentials of every tenant
    (Secrets Manager appends ``-`` and six characters to a secret's name in its ARN)."""
    return credential_secret_name(stage, "*", provider) + "-??????"


def tenant_credential_arn(scope: Construct, stage: str, provider: str) -> str:
    return Stack.of(scope).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=tenant_credential_name_pattern(stage, provider),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def tenant_secrets_arn(scope: Construct, stage: str) -> str:
    """``arn:aws:secretsmanager:{region}:{account}:secret:switchboard/{stage}/tenants/*``."""
    return Stack.of(scope).format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=tenant_secret_name_pattern(stage),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def _json_shell(fields: tuple[str, ...] | list[str]) -> secretsmanager.SecretStringGenerator:
    """A JSON secret whose fields start empty; operators fill them with ``put-secret-value``."""
    return secretsmanager.SecretStringGenerator(
        secret_string_template=json.dumps(dict.fromkeys(fields, "")),
        generate_string_key="generated_filler",
        exclude_punctuation=True,
    )


def _random_key(length: int) -> secretsmanager.SecretStringGenerator:
    return secretsmanager.SecretStringGenerator(password_length=length, exclude_punctuation=True)


class Secrets(Construct):
    """Attributes:
    provider_keys: JSON secret, one field per provider (``switchboard.resources.PROVIDER_KEY_ENV`` keys).
    carrier: JSON secret with the platform Twilio account SID/auth token and Telnyx API key/webhook public key.
    stream_token_signing_key: random key that signs the short-lived media-stream tokens.
    operator_key: random key for the admin API's operator routes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, encryption_key: kms.IKey) -> None:
        super().__init__(scope, construct_id)

        def secret(
            secret_id: str, description: str, generator: secretsmanager.SecretStringGenerator
        ) -> secretsmanager.Secret:
            return secretsmanager.Secret(
                self,
                secret_id,
                description=description,
                encryption_key=encryption_key,
                generate_secret_string=generator,
                removal_policy=RemovalPolicy.RETAIN,
            )

        self.provider_keys = secret(
            "ProviderKeys", "Switchboard speech/LLM provider API keys (JSON)", _json_shell(sorted(PROVIDER_KEY_ENV))
        )
        self.carrier = secret(
            "Carrier", "Switchboard carrier credentials: Twilio SID/token, Telnyx key/public key (JSON)",
            _json_shell(CARRIER_FIELDS),
        )
        self.stream_token_signing_key = secret(
            "StreamTokenSigningKey", "Switchboard media-stream token signing key", _random_key(64)
        )
        self.operator_key = secret("OperatorKey", "Switchboard admin API operator key", _random_key(48))
