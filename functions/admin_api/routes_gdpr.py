"""GDPR erasure: one call by id, or every call with a customer's phone number (see :mod:`switchboard.gdpr`).

Both are audited (``deletion``) before anything is erased: an erasure never happens unrecorded. The
entry names the call (or, for a number, only that a number was erased: the audit log outlives the
erasure and must not keep the number). With ``crm=true`` the CRM activities post_call logged are
archived too (:mod:`.crm_erasure`).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from switchboard.gdpr import DeletionReport, delete_by_phone, delete_call
from switchboard.models._base import Identifier
from switchboard.store.calls import get_call

from . import audit_trail, config
from .auth import tenant_id_of
from .crm_erasure import AssistantCrmDeleter
from .problems import documented
from .schemas import DeletionReportView, PhoneErasure

router = APIGatewayHttpRouter()
TAGS = ["gdpr"]
CRM = Annotated[bool, Query(description="also archive the CRM activities the platform logged (HubSpot)")]


def _deleter(tenant_id: str, crm: bool) -> AssistantCrmDeleter | None:
    if not crm:
        return None
    return AssistantCrmDeleter(config.table(), config.secrets_client(), tenant_id=tenant_id,
                               stage=config.settings().stage)


def _view(report: DeletionReport, deleter: AssistantCrmDeleter | None) -> DeletionReportView:
    unsupported = deleter.unsupported if deleter is not None else []
    return DeletionReportView(**report.to_wire(), crm_not_supported=unsupported)


@router.delete("/v1/calls/<call_id>", tags=TAGS, responses=documented(audited=True), summary="Erase a call")
def erase_call(call_id: Annotated[Identifier, Path()], crm: CRM = False) -> DeletionReportView:
    """Removes the call record (transcript, analysis), every stored object version of the call, its
    post-call step records; anonymises its cost line. 409 while the call is live."""
    event = router.current_event
    tenant_id = tenant_id_of(event)
    table = config.table()
    get_call(table, tenant_id, call_id)  # 404 before anything is recorded or erased
    audit_trail.record(event, tenant_id=tenant_id, action="deletion", resource=f"calls/{call_id}",
                       details={"crm": crm})
    deleter = _deleter(tenant_id, crm)
    report = delete_call(table, config.s3_client(), config.settings().bucket, tenant_id, call_id, crm=deleter)
    return _view(report, deleter)


@router.post("/v1/gdpr/deletions", tags=TAGS, responses=documented(audited=True),
             summary="Erase every call with a phone number")
def erase_by_phone(body: PhoneErasure) -> DeletionReportView:
    """Erases each call in which ``phone`` was the customer; live calls are skipped and listed.
    409 for one of the tenant's own numbers (they are on every call)."""
    event = router.current_event
    tenant_id = tenant_id_of(event)
    audit_trail.record(event, tenant_id=tenant_id, action="deletion", resource="calls?phone",
                       details={"crm": body.crm})
    deleter = _deleter(tenant_id, body.crm)
    report = delete_by_phone(config.table(), config.s3_client(), config.settings().bucket, tenant_id, body.phone,
                             crm=deleter)
    return _view(report, deleter)
