"""The CRM half of a GDPR erasure: archive what post_call logged in the CRM of each erased call's assistant.

:class:`AssistantCrmDeleter` is the :class:`switchboard.gdpr.CrmActivityDeleter` the deletion routes
pass when the client asks for ``crm=true``. ``delete_call`` asks it before removing the call record,
so it can follow the record to its assistant and the assistant to its CRM target and credentials
(the same credentials post_call wrote with, :func:`switchboard.crm.tenant_credentials`).

- HubSpot: :class:`switchboard.gdpr_hubspot.HubSpotActivityDeleter` (base URL overridable with
  ``SWITCHBOARD_HUBSPOT_URL``, as for post_call).
- An assistant that no longer exists: the tenant's standard HubSpot credentials, if it has any
  (the search is by our call id, so only the platform's own engagements match).
- Other CRMs have no deleter yet: their call ids are listed in :attr:`AssistantCrmDeleter.unsupported`
  and the response says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from switchboard.crm import policy_from_env, tenant_credentials
from switchboard.crm.base import CrmError
from switchboard.crm.factory import ENV_BASE_URL, ENV_CRM_TIMEOUT_S
from switchboard.crm.http import DEFAULT_TIMEOUT_S
from switchboard.errors import NotFound
from switchboard.gdpr_hubspot import HubSpotActivityDeleter
from switchboard.models import CrmTarget
from switchboard.store import get_assistant
from switchboard.store.calls import get_call
from switchboard.store.secrets import CredentialReader

SUPPORTED = ("hubspot",)


class AssistantCrmDeleter:
    """Archives each erased call's CRM activities in its assistant's CRM (HubSpot today)."""

    name: str = "hubspot"

    def __init__(self, table: Any, secrets: Any, *, tenant_id: str, stage: str,
                 env: Mapping[str, str] = os.environ) -> None:
        self._table = table
        self._secrets = secrets
        self._tenant_id = tenant_id
        self._stage = stage
        self._env = env
        self._reader = CredentialReader(secrets, stage=stage, ttl_s=0)
        self._deleters: dict[tuple[str, str | None], HubSpotActivityDeleter] = {}
        self.unsupported: list[str] = []
        """Erased calls whose assistant's CRM has no deleter (their CRM activities are still there)."""

    def delete_call_activities(self, call_id: str) -> tuple[str, ...]:
        call = get_call(self._table, self._tenant_id, call_id)
        target = self._target(call.assistant_id)
        if target is None or target.provider == "none":
            return ()
        if target.provider not in SUPPORTED:
            self.unsupported.append(call_id)
            return ()
        return self._hubspot(target).delete_call_activities(call_id)

    def _target(self, assistant_id: str | None) -> CrmTarget | None:
        if assistant_id is not None:
            try:
                return get_assistant(self._table, self._tenant_id, assistant_id).crm
            except NotFound:
                pass
        try:
            self._reader.get(self._tenant_id, "hubspot")
        except NotFound:
            return None
        return CrmTarget(provider="hubspot")

    def _hubspot(self, target: CrmTarget) -> HubSpotActivityDeleter:
        key = (target.provider, target.credentials_ref)
        deleter = self._deleters.get(key)
        if deleter is None:
            credentials = tenant_credentials(target, tenant_id=self._tenant_id, stage=self._stage,
                                             reader=self._reader, secrets_client=self._secrets)
            token = credentials.get("access_token")
            if not token:
                raise CrmError("hubspot", "credentials lack access_token", retryable=False)
            deleter = HubSpotActivityDeleter(
                access_token=token,
                host=self._env.get(ENV_BASE_URL["hubspot"]),
                policy=policy_from_env(self._env),
                timeout_s=float(self._env.get(ENV_CRM_TIMEOUT_S, str(DEFAULT_TIMEOUT_S))),
            )
            self._deleters[key] = deleter
        return deleter
