"""CRM writeback: one writer per CRM behind the :class:`CrmWriter` role, one retry policy, one HTTP client."""

from .base import CrmCall, CrmError, CrmName, CrmWriter, CrmWriteResult
from .factory import build_writer, policy_from_env, tenant_credentials
from .retry import RetryPolicy

__all__ = [
    "CrmCall",
    "CrmError",
    "CrmName",
    "CrmWriteResult",
    "CrmWriter",
    "RetryPolicy",
    "build_writer",
    "policy_from_env",
    "tenant_credentials",
]
