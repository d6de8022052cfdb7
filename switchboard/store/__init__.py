"""Tenant-scoped access to the single table (and per-tenant secrets).

Every function takes the table (a boto3 ``Table`` resource, see :func:`table_resource`) and,
except for the global lookups :func:`find_api_key` and :func:`find_number_claim`, the tenant id.
"""

from ._pages import MAX_PAGE_SIZE, InvalidCursor, Page
from ._table import table_resource
from .api_keys import IssuedApiKey, find_api_key, hash_api_key, issue_api_key, list_api_keys, revoke_api_key
from .assistants import create_assistant, delete_assistant, get_assistant, list_assistants, replace_assistant
from .calls import (
    CallCreated,
    CarrierCallRef,
    create_call,
    expiry_epoch,
    find_carrier_call,
    get_call,
    list_calls,
    mark_ended,
    mark_in_progress,
    retention_days,
    save_outcome,
)
from .leases import acquire_lease, live_lease_count, release_lease
from .numbers import (
    NumberClaim,
    attach_number,
    detach_number,
    find_number_claim,
    get_number,
    list_numbers,
    route_number,
)
from .secrets import (
    CREDENTIAL_PROVIDERS,
    CredentialProvider,
    CredentialReader,
    TenantCredential,
    credential_secret_name,
    delete_credentials,
    list_credentials,
    missing_fields,
    put_credentials,
)
from .tenants import create_tenant, get_tenant

__all__ = [
    "CREDENTIAL_PROVIDERS",
    "MAX_PAGE_SIZE",
    "CallCreated",
    "CarrierCallRef",
    "CredentialProvider",
    "CredentialReader",
    "InvalidCursor",
    "IssuedApiKey",
    "NumberClaim",
    "Page",
    "TenantCredential",
    "acquire_lease",
    "attach_number",
    "create_assistant",
    "create_call",
    "create_tenant",
    "credential_secret_name",
    "delete_assistant",
    "delete_credentials",
    "detach_number",
    "expiry_epoch",
    "find_api_key",
    "find_carrier_call",
    "find_number_claim",
    "get_assistant",
    "get_call",
    "get_number",
    "get_tenant",
    "hash_api_key",
    "issue_api_key",
    "list_api_keys",
    "list_assistants",
    "list_calls",
    "list_credentials",
    "list_numbers",
    "live_lease_count",
    "mark_ended",
    "mark_in_progress",
    "missing_fields",
    "put_credentials",
    "release_lease",
    "replace_assistant",
    "retention_days",
    "revoke_api_key",
    "route_number",
    "save_outcome",
    "table_resource",
]
