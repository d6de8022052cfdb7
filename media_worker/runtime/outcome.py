"""Who a call is, where its record lives, and the ``call.ended`` event built from its final state."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from media_worker.core import EndReason, call_usage, transcript_turns
from switchboard.events import CallEnded
from switchboard.models import Turn, UsageRecord
from switchboard.store import calls as call_records

if TYPE_CHECKING:
    from .session import CallSession

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class CallIdentity:
    """The call as the stream token and the carrier ``start`` describe it."""

    call_id: str
    tenant_id: str
    assistant_id: str
    carrier: Literal["twilio", "telnyx"]
    carrier_call_id: str
    stream_id: str
    from_number: str | None = None
    to_number: str | None = None


class CallStore(Protocol):
    """The call record's lifecycle, as the worker sees it (async: never on the loop's thread)."""

    async def mark_in_progress(self, call: CallIdentity) -> bool: ...

    async def mark_ended(self, call: CallIdentity, *, ended_at: datetime, end_reason: EndReason) -> bool: ...


class DynamoCallStore:
    """:mod:`switchboard.store.calls` on the platform table, each request in a worker thread."""

    def __init__(self, table: Any) -> None:
        self._table = table

    async def mark_in_progress(self, call: CallIdentity) -> bool:
        return await asyncio.to_thread(call_records.mark_in_progress, self._table, call.tenant_id, call.call_id)

    async def mark_ended(self, call: CallIdentity, *, ended_at: datetime, end_reason: EndReason) -> bool:
        return await asyncio.to_thread(
            call_records.mark_ended,
            self._table,
            call.tenant_id,
            call.call_id,
            ended_at=ended_at,
            end_reason=end_reason,
            reported_by="media_worker",
        )


@dataclass(frozen=True, slots=True)
class CallArtifacts:
    """What the call stored, as ``call.ended`` reports it (see ``call_compliance``): the transcript
    PCI-masked and redacted, DTMF as stored (``*`` per key with PCI masking), the recording's key."""

    transcript: tuple[Turn, ...]
    dtmf: tuple[str, ...]
    recording_key: str | None = None


def e164_or_none(number: str | None) -> str | None:
    return number if number and _E164.match(number) else None


def build_call_ended(
    session: CallSession, *, ended_at: datetime, reason: EndReason, artifacts: CallArtifacts | None = None
) -> CallEnded:
    """The shared ``call.ended`` contract from the core's final state and the runtime's counters
    (transcript, DTMF and recording key from *artifacts* when given)."""
    state = session.loop.state
    usage = call_usage(state)
    assistant = session.assistant
    identity = session.identity
    return CallEnded(
        tenant_id=identity.tenant_id,
        call_id=identity.call_id,
        reported_by="media_worker",
        assistant_id=identity.assistant_id,
        carrier=identity.carrier,
        from_number=e164_or_none(identity.from_number),
        to_number=e164_or_none(identity.to_number),
        started_at=session.started_at,
        ended_at=max(ended_at, session.started_at),
        end_reason=reason,
        transcript=artifacts.transcript if artifacts is not None else tuple(transcript_turns(state)),
        dtmf=artifacts.dtmf if artifacts is not None else state.dtmf_log,
        recording_key=artifacts.recording_key if artifacts is not None else None,
        usage=UsageRecord(
            carrier=identity.carrier,
            call_seconds=usage.call_seconds,
            stt_provider=assistant.stt.provider,
            stt_model=assistant.stt.model,
            stt_seconds=round(session.stt.stt_seconds, 3),
            llm_provider=assistant.llm.provider,
            llm_model=assistant.llm.model,
            llm_input_tokens=usage.llm_input_tokens,
            llm_output_tokens=usage.llm_output_tokens,
            tts_provider=assistant.tts.provider,
            tts_model=assistant.tts.model,
            tts_characters=usage.tts_characters,
        ),
        latency=session.spans.summary(),
    )
