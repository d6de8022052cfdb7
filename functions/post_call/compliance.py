"""What post_call may keep and send for one call: redaction modes and the storage decision, per assistant.

- the transcript sent to the analysis LLM: ``analysis_mode(assistant.compliance)``;
- the stored transcript, the analysis summary and the CRM body: ``transcript_mode(...)``;
- whether the transcript is stored on the call record at all: the assistant's storage plan
  (:func:`switchboard.retention.storage_plan`), and never for a HIPAA call: a HIPAA plan stores
  transcripts only under the stage's dedicated KMS key, and the call record lives in the table,
  which is encrypted under the platform key (the worker's S3 transcript object is where such a
  transcript is kept).

A call without an assistant (or whose assistant was deleted) gets the defaults: placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchboard.analysis import Redactor
from switchboard.models import Assistant, Compliance, Tenant, Turn
from switchboard.redaction import Mode, analysis_mode, redact_turns, redactor, transcript_mode
from switchboard.retention import storage_plan


@dataclass(frozen=True)
class CallRules:
    transcript_mode: Mode
    analysis_mode: Mode
    store_transcript: bool
    hipaa: bool

    @property
    def redact_stored(self) -> Redactor:
        """For the stored transcript's turns, the analysis summary and the CRM body."""
        return redactor(self.transcript_mode)

    @property
    def redact_analysis_input(self) -> Redactor:
        return redactor(self.analysis_mode)

    def stored_transcript(self, transcript: tuple[Turn, ...]) -> tuple[Turn, ...] | None:
        """What goes on the call record (None: nothing)."""
        return redact_turns(transcript, self.transcript_mode) if self.store_transcript else None


def call_rules(
    tenant: Tenant, assistant: Assistant | None, *, started_at: datetime, hipaa_kms_key_id: str | None
) -> CallRules:
    compliance = assistant.compliance if assistant is not None else Compliance()
    plan = storage_plan(tenant, assistant, started_at=started_at, hipaa_kms_key_id=hipaa_kms_key_id)
    return CallRules(
        transcript_mode=transcript_mode(compliance),
        analysis_mode=analysis_mode(compliance),
        store_transcript=plan.store_transcript and plan.kms_key_id is None,
        hipaa=compliance.hipaa_mode,
    )
