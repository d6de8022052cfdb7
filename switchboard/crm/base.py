"""What every CRM writer receives and returns, its typed error, and the ``CrmWriter`` role.

    SwitchboardError
    └── ProviderError
        └── CrmError(retryable=..., status=..., retry_after=...)

A writer raises :class:`CrmError` for every failure it knows: ``retryable`` for 429, 5xx
and timeouts (the shared :class:`~switchboard.crm.retry.RetryPolicy` retries those),
not retryable for bad credentials or rejected input (retrying cannot help).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from ..errors import ProviderError
from ..models import CallAnalysis
from ..models.call import Direction, EndReason

CrmName = Literal["hubspot", "salesforce", "gohighlevel", "pipedrive"]
CALL_ID_MARKER = "switchboard-call-id"
"""Notes-based CRMs (GoHighLevel, Pipedrive) carry ``[switchboard-call-id: <id>]`` for dedupe."""


class CrmError(ProviderError):
    def __init__(
        self,
        provider: str,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, retryable=retryable)
        self.status = status
        self.retry_after = retry_after


def error_for_status(provider: str, what: str, status: int, retry_after: float | None = None) -> CrmError:
    """The typed error for an HTTP failure: 408/429/5xx retry, the rest do not."""
    retryable = status in (408, 429) or status >= 500
    return CrmError(provider, f"{what}: HTTP {status}", retryable=retryable, status=status, retry_after=retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); None if absent or an HTTP date."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class CrmCall:
    """One finished call, as the CRM writers see it (text already through the redaction hook)."""

    call_id: str
    tenant_id: str
    direction: Direction
    caller_number: str | None
    """The customer's number in E.164 (``from`` inbound, ``to`` outbound); None when withheld."""
    from_number: str | None
    to_number: str | None
    started_at: datetime
    ended_at: datetime
    end_reason: EndReason
    analysis: CallAnalysis
    transcript_text: str
    recording_url: str | None = None
    disposition_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> int:
        return max(0, round((self.ended_at - self.started_at).total_seconds()))

    @property
    def title(self) -> str:
        who = self.caller_number or "withheld number"
        return f"{self.direction.capitalize()} AI call with {who}: {self.analysis.disposition.replace('_', ' ')}"

    @property
    def body(self) -> str:
        """Summary first, then sentiment, disposition and the transcript."""
        a = self.analysis
        return (
            f"{a.summary}\n\nSentiment: {a.sentiment.label} ({a.sentiment.score:+.2f})\n"
            f"Disposition: {a.disposition}\nSuccess: {'yes' if a.success else 'no'}\n"
            + (f"Recording: {self.recording_url}\n" if self.recording_url else "")
            + f"Call id: {self.call_id}\n\nTranscript:\n{self.transcript_text}"
        )

    @property
    def marker(self) -> str:
        return f"[{CALL_ID_MARKER}: {self.call_id}]"


class CrmWriteResult(BaseModel):
    """What a write did. ``record_id`` is None only when the write was skipped (see ``skipped``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    crm: CrmName
    record_id: str | None
    contact_id: str | None = None
    created_contact: bool = False
    already_existed: bool = False
    skipped: str | None = None
    """Why nothing was written (e.g. ``no_contact``); None when a record exists."""


class CrmWriter(Protocol):
    """Writes one call to a CRM at most once (dedupe by call id), retrying through a RetryPolicy."""

    name: CrmName

    def write_call(self, call: CrmCall) -> CrmWriteResult: ...
