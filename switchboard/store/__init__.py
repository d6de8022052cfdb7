"""Tenant-scoped access to the single table (and per-tenant secrets).

Every function takes the table (a boto3 ``Table`` resource, see :func:`table_resource`) and,
except for the global lookups :func:`find_api_key` and :func:`find_number_claim`, the tenant id.
"""

from ._pages import MAX_PAGE_SIZE, InvalidCursor, Page
from ._table import table_resource
from .api_keys import IssuedApiKey, find_api_key, hash_api_key, issue_api_key, list_api_keys, revoke_api_key
from .assistants import create_assistant, delete_assistant, get_assistant, list_assistants, replace_assistant
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
    "CredentialProvider",
    "CredentialReader",
    "InvalidCursor",
    "IssuedApiKey",
    "NumberClaim",
    "Page",
    "TenantCredential",
    "attach_number",
    "create_assistant",
    "create_tenant",
    "credential_secret_name",
    "delete_assistant",
    "delete_credentials",
    "detach_number",
    "find_api_key",
    "find_number_claim",
    "get_assistant",
    "get_number",
    "get_tenant",
    "hash_api_key",
    "issue_api_key",
    "list_api_keys",
    "list_assistants",
    "list_credentials",
    "list_numbers",
    "missing_fields",
    "put_credentials",
    "replace_assistant",
    "revoke_api_key",
    "route_number",
    "table_resource",
]
