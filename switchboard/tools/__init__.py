"""Tool calls to teams' webhooks: signing, the SSRF guard, argument validation and the HTTP exchange.

Shared by the ``tool_call`` Lambda (which sends the requests) and the media worker (which
validates arguments before asking for a call). Pure except :mod:`.webhook` and the resolver.
"""

from .arguments import argument_problems, parse_arguments
from .envelope import TOOL_OUTCOMES, ToolOutcome, ToolResult, failure, idempotency_key, request_body
from .signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signed_headers,
    verify,
)
from .ssrf import BlockedDestination, Destination, ResolutionFailed, blocked_reason, resolve_destination
from .webhook import DEFAULT_MAX_RESPONSE_BYTES, WebhookClient, WebhookPolicy

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TOOL_OUTCOMES",
    "BlockedDestination",
    "Destination",
    "ResolutionFailed",
    "ToolOutcome",
    "ToolResult",
    "WebhookClient",
    "WebhookPolicy",
    "argument_problems",
    "blocked_reason",
    "failure",
    "idempotency_key",
    "parse_arguments",
    "request_body",
    "resolve_destination",
    "sign",
    "signed_headers",
    "verify",
]
