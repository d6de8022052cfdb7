"""The platform's typed errors. Match on these classes, never on message text.

    SwitchboardError
    ├── InvalidEvent            a bus event failed validation
    ├── NotFound                no such record for this tenant
    ├── Conflict                a conditional write lost (e.g. a number held by another tenant)
    ├── Unauthorized            a key, signature or stream token was rejected
    │   └── StreamTokenError    (missing, expired, reused or forged)
    ├── LimitExceeded           a tenant limit such as concurrent calls
    └── ProviderError           a vendor call failed
"""

from __future__ import annotations


class SwitchboardError(Exception):
    """Base of every error the platform raises on purpose."""


class InvalidEvent(SwitchboardError, ValueError):
    pass


class NotFound(SwitchboardError):
    pass


class Conflict(SwitchboardError):
    pass


class Unauthorized(SwitchboardError):
    pass


class StreamTokenError(Unauthorized):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LimitExceeded(SwitchboardError):
    pass


class ProviderError(SwitchboardError):
    def __init__(self, provider: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable
