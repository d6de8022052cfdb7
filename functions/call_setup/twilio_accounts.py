"""Which Twilio account signed a webhook: the owning tenant's own account, else the platform's.

When a tenant has stored ``twilio`` credentials (``PUT /v1/credentials/twilio``), the admin API buys
and configures its numbers in that tenant's Twilio account (``functions/admin_api/carrier.py``), so
Twilio signs those numbers' webhooks with the tenant's auth token. Every other number lives in the
platform account (the carrier secret). A tenant's own token verifies only webhooks about that tenant's
numbers and calls, so a tenant that knows its own token cannot forge webhooks for anyone else.

Both answers are cached per container for ``max_age_s``, "no own account" included, so a webhook
costs at most one Secrets Manager read per tenant and period. Tokens never appear in a repr or a log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from switchboard.errors import NotFound

TENANT_CREDENTIAL_PROVIDER = "twilio"
AUTH_TOKEN_FIELD = "auth_token"


@dataclass(frozen=True, slots=True)
class SigningAccount:
    auth_token: str = field(repr=False)
    tenant_id: str | None
    """The tenant whose own account this is; ``None`` for the platform account."""


TenantCredentials = Callable[[str], Mapping[str, str]]
"""A tenant's stored ``twilio`` credentials; raises :class:`NotFound` if it has none."""


class TwilioSigningAccounts:
    def __init__(
        self,
        *,
        platform_token: Callable[[], str],
        tenant_credentials: TenantCredentials,
        max_age_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._platform_token = platform_token
        self._tenant_credentials = tenant_credentials
        self._max_age_s = max_age_s
        self._clock = clock
        self._own_tokens: dict[str, tuple[float, str | None]] = {}

    def for_tenant(self, tenant_id: str | None) -> SigningAccount:
        """The account whose token must have signed a webhook about *tenant_id*'s number or call
        (``None``: nobody's, e.g. an unknown number, which only the platform account can have called us about)."""
        if tenant_id is not None:
            own = self._own_token(tenant_id)
            if own is not None:
                return SigningAccount(own, tenant_id)
        return SigningAccount(self._platform_token(), None)

    def _own_token(self, tenant_id: str) -> str | None:
        now = self._clock()
        cached = self._own_tokens.get(tenant_id)
        if cached is not None and now - cached[0] < self._max_age_s:
            return cached[1]
        try:
            credentials = self._tenant_credentials(tenant_id)
        except NotFound:
            token: str | None = None
        else:
            # An own account without a token verifies nothing (never falls back to the platform token).
            token = str(credentials.get(AUTH_TOKEN_FIELD) or "")
        self._own_tokens[tenant_id] = (now, token)
        return token
