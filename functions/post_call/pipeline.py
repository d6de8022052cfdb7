"""What post_call does with one ``call.ended``: three idempotent steps, each once per call.

1. **analysis**: analyse (rule or LLM) -> store transcript, usage, latency, recording key and
   analysis on the call record -> emit ``call.analyzed``.
2. **cost**: price the usage -> store the cost on the call record -> write the ledger item.
3. **crm**: write the call to the assistant's CRM (deduped by call id there too) -> emit
   ``crm.written``.

Cost runs before the CRM so that a CRM outage (whose messages wait in the DLQ) never holds
back the ledger. Each step is a Powertools ``idempotent_function`` keyed by (tenant, call) and
persisted in the single table under the tenant's partition (``IDEM#{step}#{md5}``): a
redelivery replays completed steps from their stored result and resumes at the failed one.
A step that raises leaves no record, so the next delivery runs it again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from switchboard.analysis import render_transcript
from switchboard.cost_ledger import record_call_cost
from switchboard.crm import CrmCall, CrmWriter, CrmWriteResult
from switchboard.errors import NotFound
from switchboard.events import BusEvent, CallAnalyzed, CallEnded, CrmWritten
from switchboard.models import AnalysisSettings, Assistant, CallAnalysis, CallCost, Tenant
from switchboard.pricing import PriceNotFound, PriceTable, price_call
from switchboard.store import calls as call_store
from switchboard.store._table import tenant_pk

from .analyzer import CallAnalyzer
from .compliance import CallRules, call_rules

logger = logging.getLogger(__name__)
IDEMPOTENCY_TTL_S = 15 * 24 * 3600
"""Longer than the DLQ's 14-day retention, so a redriven message still finds its completed steps."""
_EVENT_NAMESPACE = uuid.UUID("5b0c8a53-3f0e-4c1e-9d0a-6a7f4f1b2c10")


class Publisher(Protocol):
    def publish(self, *events: BusEvent) -> None: ...


AssistantLoader = Callable[[str, str], Assistant | None]
TenantLoader = Callable[[str], Tenant | None]
HipaaLogScope = Callable[[str], AbstractContextManager[None]]
WriterFactory = Callable[[str, Assistant], CrmWriter]


def derived_event_id(call_id: str, event_type: str) -> str:
    """The same event id on every delivery, so consumers can dedupe what post_call emits."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{call_id}/{event_type}"))


@dataclass
class PostCall:
    table: Any
    ddb_client: Any
    publisher: Publisher
    analyzer: CallAnalyzer
    price_table: PriceTable
    load_assistant: AssistantLoader
    load_tenant: TenantLoader
    crm_writer: WriterFactory
    recording_link: Callable[[CallEnded], str | None]
    idempotency: IdempotencyConfig
    hipaa_kms_key_id: str | None = None
    """The stage's dedicated KMS key for HIPAA data (``SWITCHBOARD_HIPAA_KMS_KEY_ARN``), if any."""

    def handle(
        self, event: CallEnded, *, receive_count: int = 1, hipaa_log_scope: HipaaLogScope | None = None
    ) -> dict[str, Any]:
        """Run the three steps for *event*; raise if one fails (the SQS message is then retried).

        A HIPAA assistant's call runs inside ``hipaa_log_scope(call_id)``: its lines keep no bodies."""
        assistant = self._assistant(event)
        rules = self._rules(event, assistant)
        scope = hipaa_log_scope(event.call_id) if hipaa_log_scope and rules.hipaa else nullcontext()
        with scope:
            return self._run(event, assistant, rules, receive_count)

    def _run(self, event: CallEnded, assistant: Assistant | None, rules: CallRules,
             receive_count: int) -> dict[str, Any]:
        key = {"tenant_id": event.tenant_id, "call_id": event.call_id}
        store = self._persistence(event.tenant_id)

        def analysis_step(call: dict[str, str]) -> dict[str, Any]:
            return self._analyse(event, assistant, rules, receive_count).to_wire()

        def cost_step(call: dict[str, str]) -> dict[str, Any] | None:
            cost = self._cost(event)
            return cost.to_wire() if cost else None

        def crm_step(call: dict[str, str], analysis: dict[str, Any]) -> dict[str, Any] | None:
            result = self._write_crm(event, assistant, rules, CallAnalysis.from_wire(analysis))
            return result.model_dump() if result else None

        analysis = self._step("analysis", analysis_step, store)(call=key)
        cost = self._step("cost", cost_step, store)(call=key)
        crm = self._step("crm", crm_step, store)(call=key, analysis=analysis)
        return {"analysis": analysis, "cost": cost, "crm": crm}

    # -- steps ------------------------------------------------------------------------------

    def _analyse(
        self, event: CallEnded, assistant: Assistant | None, rules: CallRules, receive_count: int
    ) -> CallAnalysis:
        settings = assistant.analysis if assistant else AnalysisSettings()
        call_store.mark_ended(  # first report wins; a no-op if call setup already ended the call
            self.table, event.tenant_id, event.call_id, ended_at=event.ended_at, end_reason=event.end_reason,
            reported_by=event.reported_by, only_if_not_started=event.reported_by == "status_callback",
        )
        analysis = self.analyzer.analyze(event, settings, receive_count=receive_count,
                                         redact=rules.redact_analysis_input)
        # The summary paraphrases what was said: it is stored, emitted and sent like the transcript.
        analysis = analysis.model_copy(update={"summary": rules.redact_stored(analysis.summary)})
        self._save(
            event,
            transcript=rules.stored_transcript(event.transcript),
            usage=event.usage,
            latency=event.latency,
            recording_key=event.recording_key,
            analysis=analysis,
        )
        self.publisher.publish(CallAnalyzed(
            event_id=derived_event_id(event.call_id, "call.analyzed"),
            tenant_id=event.tenant_id, call_id=event.call_id, analysis=analysis,
        ))
        logger.info("call analysed", extra={"call_id": event.call_id, "disposition": analysis.disposition,
                                             "source": analysis.source})
        return analysis

    def _cost(self, event: CallEnded) -> CallCost | None:
        try:
            cost = price_call(event.usage, self.price_table)
        except PriceNotFound as exc:
            # Retrying cannot help; the call keeps no cost until the table prices it (re-run by redrive).
            logger.error("call not priced", extra={"call_id": event.call_id, "layer": exc.layer, "key": exc.key})
            return None
        self._save(event, cost=cost)
        record_call_cost(self.table, event.tenant_id, event.call_id, cost, started_at=event.started_at)
        return cost

    def _write_crm(
        self, event: CallEnded, assistant: Assistant | None, rules: CallRules, analysis: CallAnalysis
    ) -> CrmWriteResult | None:
        if assistant is None or assistant.crm.provider == "none":
            return None
        caller = event.from_number if event.direction == "inbound" else event.to_number
        call = CrmCall(
            call_id=event.call_id,
            tenant_id=event.tenant_id,
            direction=event.direction,
            caller_number=caller,
            from_number=event.from_number,
            to_number=event.to_number,
            started_at=event.started_at,
            ended_at=event.ended_at,
            end_reason=event.end_reason,
            analysis=analysis,
            transcript_text=render_transcript(event.transcript, redact=rules.redact_stored),
            recording_url=self.recording_link(event),
            disposition_map=assistant.crm.disposition_map,
        )
        result = self.crm_writer(event.tenant_id, assistant).write_call(call)
        if result.record_id is None:
            # Withheld number, or an unknown caller without create_contact_if_missing: nothing to attach to.
            logger.info("CRM write skipped", extra={"call_id": event.call_id, "crm": result.crm,
                                                    "reason": result.skipped})
            return result
        self.publisher.publish(CrmWritten(
            event_id=derived_event_id(event.call_id, "crm.written"),
            tenant_id=event.tenant_id, call_id=event.call_id, crm=result.crm, record_id=result.record_id,
            contact_id=result.contact_id, created_contact=result.created_contact,
            already_existed=result.already_existed,
        ))
        logger.info("CRM written", extra={"call_id": event.call_id, "crm": result.crm,
                                          "already_existed": result.already_existed})
        return result

    # -- plumbing ---------------------------------------------------------------------------

    def _assistant(self, event: CallEnded) -> Assistant | None:
        if event.assistant_id is None:
            return None
        return self.load_assistant(event.tenant_id, event.assistant_id)

    def _rules(self, event: CallEnded, assistant: Assistant | None) -> CallRules:
        tenant = self.load_tenant(event.tenant_id) or Tenant(tenant_id=event.tenant_id, name=event.tenant_id)
        return call_rules(tenant, assistant, started_at=event.started_at, hipaa_kms_key_id=self.hipaa_kms_key_id)

    def _save(self, event: CallEnded, **outcome: Any) -> None:
        try:
            call_store.save_outcome(self.table, event.tenant_id, event.call_id, **outcome)
        except NotFound:
            logger.warning("no call record to update", extra={"call_id": event.call_id,
                                                              "fields": sorted(k for k, v in outcome.items() if v)})

    def _persistence(self, tenant_id: str) -> DynamoDBPersistenceLayer:
        return DynamoDBPersistenceLayer(
            table_name=self.table.name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=tenant_pk(tenant_id),
            expiry_attr="expires_at",
            boto3_client=self.ddb_client,
        )

    def _step(self, name: str, function: Callable[..., Any], store: DynamoDBPersistenceLayer) -> Callable[..., Any]:
        return idempotent_function(  # type: ignore[no-any-return]
            function,
            data_keyword_argument="call",
            persistence_store=store,
            config=self.idempotency,
            key_prefix=f"IDEM#{name}",
        )


def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_TTL_S, raise_on_no_idempotency_key=True)
