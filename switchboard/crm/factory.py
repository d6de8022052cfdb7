"""Build the assistant's CRM writer from its :class:`CrmTarget`, the tenant's credentials and the environment.

Credentials come from Secrets Manager, per tenant: the secret named by ``crm.credentials_ref``
when set (it must be one of the tenant's own secrets, ``switchboard/{stage}/tenants/{tenant}/...``),
else the tenant's standard secret for the provider. Base URLs default to the vendors' and are
overridable by environment variable, which is how tests and the local demo reach the fakes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from ..models import CrmTarget
from ..store.secrets import CredentialReader, credential_secret_name
from .base import CrmError, CrmWriter
from .gohighlevel import DEFAULT_BASE_URL as GHL_URL
from .gohighlevel import GoHighLevelWriter
from .http import DEFAULT_TIMEOUT_S, JsonHttpClient, build_session
from .hubspot import HubSpotWriter
from .pipedrive import DEFAULT_BASE_URL as PIPEDRIVE_URL
from .pipedrive import PipedriveWriter
from .retry import RetryPolicy
from .salesforce import SalesforceWriter

ENV_BASE_URL = {
    "hubspot": "SWITCHBOARD_HUBSPOT_URL",
    "salesforce": "SWITCHBOARD_SALESFORCE_URL",
    "gohighlevel": "SWITCHBOARD_GOHIGHLEVEL_URL",
    "pipedrive": "SWITCHBOARD_PIPEDRIVE_URL",
}
"""Environment overrides of each CRM's base URL (for fakes; an ``http://`` Salesforce URL is reached over http)."""
ENV_CRM_TIMEOUT_S = "SWITCHBOARD_CRM_TIMEOUT_S"
ENV_CRM_ATTEMPTS = "SWITCHBOARD_CRM_ATTEMPTS"
ENV_CRM_BACKOFF_S = "SWITCHBOARD_CRM_BACKOFF_S"


def policy_from_env(env: Mapping[str, str] = os.environ) -> RetryPolicy:
    return RetryPolicy(attempts=int(env.get(ENV_CRM_ATTEMPTS, "3")), base_delay_s=float(env.get(ENV_CRM_BACKOFF_S,
                                                                                                  "0.5")))


def _missing(provider: str, *names: str) -> CrmError:
    return CrmError(provider, f"credentials lack {', '.join(names)}", retryable=False)


def tenant_credentials(
    target: CrmTarget, *, tenant_id: str, stage: str, reader: CredentialReader, secrets_client: Any
) -> dict[str, str]:
    """The credential object for the assistant's CRM; :class:`CrmError` (not retryable) if misconfigured."""
    provider = target.provider
    if target.credentials_ref is None:
        return reader.get(tenant_id, provider)
    own_prefix = credential_secret_name(stage, tenant_id, "")
    if not target.credentials_ref.startswith(own_prefix):
        raise CrmError(provider, "crm.credentials_ref is not one of this tenant's secrets", retryable=False)
    raw = secrets_client.get_secret_value(SecretId=target.credentials_ref)["SecretString"]
    return {str(k): str(v) for k, v in json.loads(raw).items()}


def build_writer(
    target: CrmTarget,
    credentials: Mapping[str, str],
    *,
    policy: RetryPolicy,
    env: Mapping[str, str] = os.environ,
) -> CrmWriter:
    """The writer for *target*; :class:`CrmError` (not retryable) for missing credential fields."""
    provider = target.provider
    if provider == "none":
        raise ValueError("the assistant has no CRM target")
    timeout_s = float(env.get(ENV_CRM_TIMEOUT_S, str(DEFAULT_TIMEOUT_S)))
    override = env.get(ENV_BASE_URL[provider])
    need: Callable[[str], str] = lambda name: _require(provider, credentials, name)  # noqa: E731
    if provider == "hubspot":
        return HubSpotWriter(access_token=need("access_token"), host=override, policy=policy, timeout_s=timeout_s,
                             create_contact_if_missing=target.create_contact_if_missing)
    if provider == "salesforce":
        instance_url = override or need("instance_url")
        session = build_session(timeout_s=timeout_s, plain_http_urls=[override] if override else [])
        return SalesforceWriter(instance_url=instance_url, access_token=need("access_token"), policy=policy,
                                session=session, create_lead_if_missing=target.create_contact_if_missing,
                                sentiment_field=target.sentiment_field)
    if provider == "gohighlevel":
        http = JsonHttpClient("gohighlevel", override or GHL_URL, headers=GoHighLevelWriter.headers(need("api_key")),
                              policy=policy, timeout_s=timeout_s)
        return GoHighLevelWriter(http, location_id=need("location_id"),
                                 create_contact_if_missing=target.create_contact_if_missing)
    base = override or credentials.get("base_url") or PIPEDRIVE_URL
    http = JsonHttpClient("pipedrive", base, headers=PipedriveWriter.headers(need("api_token")), policy=policy,
                          timeout_s=timeout_s)
    return PipedriveWriter(http, create_contact_if_missing=target.create_contact_if_missing)


def _require(provider: str, credentials: Mapping[str, str], name: str) -> str:
    value = credentials.get(name)
    if not value:
        raise _missing(provider, name)
    return value
