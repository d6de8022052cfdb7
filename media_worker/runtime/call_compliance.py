"""Compliance for one call: the storage plan, the BAA rule, recording, PCI masking, the stored transcript, HIPAA logs.

:class:`ComplianceServices` (worker-wide) opens a :class:`CallCompliance` per call; the session calls
its hooks:

=============================  ===========================================================================
hook                           what it does
=============================  ===========================================================================
``outbound_sink(sink)``        wraps the carrier sink: frames actually sent and ``clear`` go to the recorder
``caller_audio(audio)``        caller media to the recorder (before the STT lane; the STT still gets it raw)
``stt_deliver(deliver, ...)``  STT facts on their way to the core: card details tokenized (PCI)
``stt_final(end_s)``           how far STT finals cover the caller audio (the PCI upload gate)
``refuse(carrier)``            the BAA rule (below); True: the call must end now
``start(origin_ms)``           recording starts (segments upload while the call runs, see ``uploader``)
``finish(state, ended_at)``    last segments uploaded; transcript PCI-masked, redacted and stored; returns
                               the :class:`~.outcome.CallArtifacts` that ``call.ended`` carries
``aclose()``                   recording assembled, ``recording_key`` saved on the call record, HIPAA mark
                               dropped
=============================  ===========================================================================

**Storage plan** (``retention.storage_plan``), decided when the call opens from the tenant (cached
``tenant_ttl_s``) and the assistant: a recording only if ``plan.store_recording`` and a bucket is
configured (``SWITCHBOARD_BUCKET``); a transcript only if ``plan.store_transcript``; SSE-KMS with
``SWITCHBOARD_HIPAA_KMS_KEY_ARN`` for HIPAA assistants (without that key a HIPAA call stores nothing).
Transcripts are always PCI-masked (with ``pci_masking``) and redacted (``transcript_mode``) before they
are stored or put on ``call.ended``.

**HIPAA logs**: when ``plan.log_bodies`` is false the call id is registered with the process-wide
:data:`~.logs.LOG_REDACTION` policy, so every line of the call keeps no body; dropped in ``aclose``.

**BAA rule**: ``check_baa(assistant, baa_providers(env))`` when the call opens. A HIPAA assistant
using a provider not listed in ``SWITCHBOARD_BAA_PROVIDERS`` is refused before any provider is
contacted: an error line ``call refused: providers not BAA-eligible`` (with the offending
``role:provider`` pairs), the media stream closed with code **4403** (reason ``providers not
BAA-eligible``), the carrier call hung up, and ``call.ended`` with ``end_reason="provider_error"``
(the closest existing reason; the contract has no ``rejected``). Nothing is recorded or stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from media_worker.core import CallerSpeechStarted, Event, TranscriptUpdated, transcript_turns
from media_worker.core.state import CallState
from switchboard.errors import NotFound
from switchboard.gdpr import recording_key
from switchboard.hipaa import NotBaaEligible, baa_providers, check_baa
from switchboard.log_redaction import LogRedaction
from switchboard.models import Assistant, Tenant
from switchboard.pci import Span
from switchboard.redaction import redact_turns, transcript_mode
from switchboard.resources import ENV_BUCKET
from switchboard.retention import StoragePlan, storage_plan
from switchboard.store.calls import save_outcome
from switchboard.store.tenants import get_tenant

from .logs import LOG_REDACTION, CallLogger, monotonic_ms
from .outbound import CarrierSink
from .outcome import CallArtifacts, CallIdentity
from .pci_guard import PAD_S, PciGuard, mask_dtmf
from .recorder import CallRecorder
from .transcript_store import TranscriptObject, put_transcript
from .uploader import RecordingTarget, RecordingUploader

ENV_HIPAA_KMS_KEY = "SWITCHBOARD_HIPAA_KMS_KEY_ARN"
ENV_SEGMENT_S = "SWITCHBOARD_RECORDING_SEGMENT_S"
CLOSE_REFUSED = 4403
REFUSED_REASON = "providers not BAA-eligible"
VOICED_RMS = 500.0
"""Caller audio louder than this (int16 RMS per 20 ms) that no STT final covers is silenced (PCI)."""
FINISH_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class ComplianceConfig:
    bucket: str | None = None
    hipaa_kms_key_id: str | None = None
    baa_providers: frozenset[str] = frozenset()
    segment_s: float = 5.0
    tenant_ttl_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ComplianceConfig:
        return cls(
            bucket=env.get(ENV_BUCKET) or None,
            hipaa_kms_key_id=env.get(ENV_HIPAA_KMS_KEY) or None,
            baa_providers=baa_providers(env),
            segment_s=float(env.get(ENV_SEGMENT_S) or 5.0),
        )


class ComplianceServices:
    """Worker-wide: configuration, the S3 client, the table (tenants, call records), the log policy."""

    def __init__(
        self,
        config: ComplianceConfig,
        *,
        s3: Any = None,
        table: Any = None,
        policy: LogRedaction = LOG_REDACTION,
        clock_ms: Callable[[], float] = monotonic_ms,
    ) -> None:
        self.config = config
        self.s3 = s3
        self.table = table
        self.policy = policy
        self.clock_ms = clock_ms
        self._tenants: dict[str, tuple[float, Tenant]] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str], table: Any) -> ComplianceServices:
        """Blocking (builds the boto3 client): call it in a thread."""
        import boto3

        config = ComplianceConfig.from_env(env)
        return cls(config, s3=boto3.client("s3") if config.bucket else None, table=table)

    async def open(self, identity: CallIdentity, assistant: Assistant) -> CallCompliance:
        started_at = datetime.now(UTC)
        try:
            check_baa(assistant, self.config.baa_providers)
            refusal = None
        except NotBaaEligible as error:
            refusal = error
        tenant = await self._tenant(identity.tenant_id)
        plan = storage_plan(tenant, assistant, started_at=started_at, hipaa_kms_key_id=self.config.hipaa_kms_key_id)
        if not plan.log_bodies and refusal is None:
            self.policy.mark_hipaa(identity.call_id)
        return CallCompliance(identity, assistant, plan, services=self, refusal=refusal, started_at=started_at)

    async def _tenant(self, tenant_id: str) -> Tenant:
        cached = self._tenants.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self.config.tenant_ttl_s:
            return cached[1]
        tenant = Tenant(tenant_id=tenant_id, name=tenant_id)  # defaults (retention) if unknown
        if self.table is not None:
            with contextlib.suppress(NotFound):
                tenant = await asyncio.to_thread(get_tenant, self.table, tenant_id)
        self._tenants[tenant_id] = (time.monotonic(), tenant)
        return tenant


class RecordingSink:
    """The carrier sink, telling the recorder what was actually sent (and cleared)."""

    def __init__(self, sink: CarrierSink, recorder: CallRecorder) -> None:
        self._sink = sink
        self._recorder = recorder

    async def send_media(self, frame: bytes) -> None:
        await self._sink.send_media(frame)
        self._recorder.agent_sent(frame)

    async def send_mark(self, name: str) -> None:
        await self._sink.send_mark(name)

    async def send_clear(self) -> None:
        self._recorder.agent_cleared()
        await self._sink.send_clear()


class CallCompliance:
    def __init__(
        self,
        identity: CallIdentity,
        assistant: Assistant,
        plan: StoragePlan,
        *,
        services: ComplianceServices | None = None,
        refusal: NotBaaEligible | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.identity = identity
        self.assistant = assistant
        self.plan = plan
        self.services = services
        self.refusal = refusal
        self.started_at = started_at or datetime.now(UTC)
        self.log = CallLogger(identity.call_id)
        self._transcript: Callable[[], Sequence[Any]] = tuple
        self.pci = PciGuard(agent_text=self._last_agent_text) if plan.pci_masking else None
        self.recorder: CallRecorder | None = None
        self.uploader: RecordingUploader | None = None
        self.recording_key: str | None = None
        bucket = services.config.bucket if services is not None else None
        if plan.store_recording and refusal is None and services is not None and services.s3 is not None and bucket:
            self.recorder = CallRecorder(segment_s=services.config.segment_s, clock_ms=services.clock_ms)
            target = RecordingTarget(bucket, identity.tenant_id, identity.call_id, services.config.segment_s,
                                     plan.s3_tagging, plan.kms_key_id)  # fmt: skip
            pci = self.pci
            self.uploader = RecordingUploader(
                services.s3, target, self.recorder, log=self.log,
                horizon_s=pci.safe_until_s if pci is not None else (lambda: float("inf")),
                spans=pci.spans if pci is not None else (lambda start, end: ()),
            )  # fmt: skip

    @classmethod
    def unmanaged(cls, identity: CallIdentity, assistant: Assistant) -> CallCompliance:
        """No services wired (a session built on its own): redaction and PCI rules, nothing stored."""
        tenant = Tenant(tenant_id=identity.tenant_id, name=identity.tenant_id)
        return cls(identity, assistant, storage_plan(tenant, assistant, started_at=datetime.now(UTC)))

    # -- hooks for the session ----------------------------------------------------------------

    def outbound_sink(self, sink: CarrierSink) -> CarrierSink:
        return RecordingSink(sink, self.recorder) if self.recorder is not None else sink

    def caller_audio(self, audio: bytes) -> None:
        if self.recorder is not None:
            self.recorder.caller_audio(audio)

    def stt_deliver(self, deliver: Callable[[Event], None],
                    transcript: Callable[[], Sequence[Any]] = tuple) -> Callable[[Event], None]:  # fmt: skip
        """*deliver* for the STT lane: card details never reach the core. *transcript* gives the core's
        turn records (for payment cues in what the assistant said)."""
        pci = self.pci
        if pci is None:
            return deliver
        self._transcript = transcript

        def deliver_masked(event: Event) -> None:
            if isinstance(event, TranscriptUpdated):
                event = pci.for_core(event)
            elif isinstance(event, CallerSpeechStarted):
                pci.speech_started()
            deliver(event)

        return deliver_masked

    def stt_final(self, stream_end_s: float) -> None:
        if self.pci is not None:
            self.pci.covered(stream_end_s)

    async def refuse(self, carrier: Any) -> bool:
        if self.refusal is None:
            return False
        self.log.error("call refused: " + REFUSED_REASON, violations=list(self.refusal.violations),
                       close_code=CLOSE_REFUSED, reason="baa")  # fmt: skip
        with contextlib.suppress(Exception):
            await carrier.close(CLOSE_REFUSED, REFUSED_REASON)
        return True

    def start(self, origin_ms: float) -> None:
        if self.recorder is not None and self.uploader is not None:
            self.recorder.start(origin_ms)
            self.uploader.start()

    async def finish(self, state: CallState, *, ended_at: datetime) -> CallArtifacts:
        """Never raises: on an unexpected error ``call.ended`` still goes out, without a transcript
        (an unredacted one must never leave the worker)."""
        try:
            return await self._finish(state, ended_at=ended_at)
        except Exception:
            self.log.error("compliance finish failed; call.ended carries no transcript", exc_info=True)
            return CallArtifacts(transcript=(), dtmf=mask_dtmf(state.dtmf_log), recording_key=self.recording_key)

    async def _finish(self, state: CallState, *, ended_at: datetime) -> CallArtifacts:
        turns = tuple(transcript_turns(state))
        dtmf = tuple(state.dtmf_log)
        if self.pci is not None:
            turns = self.pci.stored_turns(turns)
            dtmf = mask_dtmf(dtmf)
        turns = redact_turns(turns, transcript_mode(self.assistant.compliance))
        if self.uploader is not None:
            try:
                async with asyncio.timeout(FINISH_TIMEOUT_S):
                    stored = await self.uploader.finish(await self._untranscribed_tail())
                if stored:
                    self.recording_key = recording_key(self.identity.tenant_id, self.identity.call_id)
            except TimeoutError:
                self.log.error("recording upload timed out at the end of the call")
        if self.pci is not None:
            self.log.info("pci masking", masked_spans=len(self.pci.spans(0.0, float("inf"))),
                          payment_windows=len(self.pci.windows), tokens=len(self.pci.captures))  # fmt: skip
        if self.refusal is None:
            await self._store_transcript(turns, dtmf, ended_at)
        return CallArtifacts(transcript=turns, dtmf=dtmf, recording_key=self.recording_key)

    async def aclose(self) -> None:
        try:
            if self.uploader is not None:
                await self.uploader.aclose()
                if self.recording_key is not None:
                    await self._assemble()
        finally:
            if self.services is not None:
                self.services.policy.forget(self.identity.call_id)

    # -- internals ----------------------------------------------------------------------------

    def _last_agent_text(self) -> str | None:
        for record in reversed(tuple(self._transcript())):
            if getattr(record, "role", None) == "assistant":
                return str(getattr(record, "text", ""))
        return None

    async def _untranscribed_tail(self) -> list[Span]:
        """PCI: caller speech that no STT final covers (hung up mid-sentence, STT down) is not stored."""
        if self.pci is None or self.recorder is None:
            return []
        recorder, covered = self.recorder, self.pci.covered_s
        voiced = await asyncio.to_thread(recorder.first_voiced_caller_s, covered, threshold_rms=VOICED_RMS)
        if voiced is None:
            return []
        self.log.info("pci: untranscribed caller audio at the end silenced", from_s=round(voiced, 2))
        return [Span(max(0.0, voiced - PAD_S), recorder.end_sample / 8000 + 1.0)]

    async def _store_transcript(self, turns: tuple[Any, ...], dtmf: tuple[str, ...], ended_at: datetime) -> None:
        services = self.services
        if not self.plan.store_transcript or services is None or services.s3 is None or not services.config.bucket:
            return
        document = TranscriptObject(
            tenant_id=self.identity.tenant_id, call_id=self.identity.call_id, assistant_id=self.identity.assistant_id,
            started_at=self.started_at, ended_at=ended_at, turns=turns, redaction=transcript_mode(
                self.assistant.compliance), dtmf=dtmf, recording_key=self.recording_key,
        )  # fmt: skip
        try:
            await asyncio.to_thread(put_transcript, services.s3, services.config.bucket, document,
                                    tagging=self.plan.s3_tagging, kms_key_id=self.plan.kms_key_id)  # fmt: skip
        except Exception as error:
            self.log.error("transcript not stored", error=type(error).__name__)

    async def _assemble(self) -> None:
        assert self.uploader is not None
        try:
            result = await self.uploader.assemble()
        except Exception as error:
            self.log.warning("recording not assembled; its segments stay for uploader.assemble()",
                             error=type(error).__name__)  # fmt: skip
            return
        if result is not None:
            self.log.info("recording stored", seconds=round(result.seconds, 2), segments=result.segments,
                          missing_segments=len(result.missing))  # fmt: skip
        services = self.services
        if services is not None and services.table is not None and self.recording_key is not None:
            try:
                await asyncio.to_thread(save_outcome, services.table, self.identity.tenant_id, self.identity.call_id,
                                        recording_key=self.recording_key)  # fmt: skip
            except NotFound:
                self.log.warning("no call record to carry the recording key")
            except Exception as error:
                self.log.warning("recording key not saved on the call record", error=type(error).__name__)
