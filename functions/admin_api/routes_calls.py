"""Calls: list and get (with a presigned recording URL), and start outbound calls.

A call past its retention (``expires_at`` <= now) is gone for the API even before DynamoDB's TTL
sweep deletes it: 404 on get, left out of lists. Serving a transcript or recording is audited first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AwareDatetime

from switchboard.errors import Conflict, NotFound
from switchboard.models import CallRecord
from switchboard.models._base import E164, Identifier
from switchboard.retention import is_expired
from switchboard.store import get_assistant, get_number
from switchboard.store._ids import new_id
from switchboard.store.calls import get_call, list_calls

from . import audit_trail, carrier, config
from .auth import tenant_id_of
from .problems import documented
from .schemas import CallPage, CallView, Cursor, Limit, OutboundCall, OutboundCallView

router = APIGatewayHttpRouter()
TAGS = ["calls"]
RECORDING_URL_TTL_S = 900


@router.get("/v1/calls", tags=TAGS, responses=documented(audited=True), summary="List calls, newest first")
def get_calls(
    since: Annotated[AwareDatetime | None, Query(description="started at or after (ISO 8601 with offset)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="started before")] = None,
    number: Annotated[E164 | None, Query(description="either end of the call")] = None,
    assistant_id: Annotated[Identifier | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 50,
    cursor: Annotated[Cursor | None, Query()] = None,
) -> CallPage:
    tenant_id = tenant_id_of(router.current_event)
    page = list_calls(
        config.table(),
        tenant_id,
        since=since,
        until=until,
        number=number,
        assistant_id=assistant_id,
        limit=limit,
        cursor=cursor,
    )
    now = datetime.now(UTC)
    items = [item for item in page.items if not _expired(item, now)]
    with_transcript = sum(1 for item in items if item.transcript)
    if with_transcript:
        audit_trail.record(router.current_event, tenant_id=tenant_id, action="transcript.read", resource="calls",
                           details={"calls": len(items), "with_transcript": with_transcript})
    return CallPage(items=items, next_cursor=page.cursor)


def _expired(call: CallRecord, now: datetime) -> bool:
    return is_expired({"expires_at": call.expires_at}, now)


def live_call(table: Any, tenant_id: str, call_id: str, now: datetime) -> CallRecord:
    """The tenant's call; :class:`NotFound` also when its retention has passed (TTL not swept yet)."""
    call = get_call(table, tenant_id, call_id)
    if _expired(call, now):
        raise NotFound(f"call {call_id} not found")
    return call


@router.get("/v1/calls/<call_id>", tags=TAGS, responses=documented(audited=True), summary="Get a call")
def get_one_call(call_id: Annotated[Identifier, Path()]) -> CallView:
    """Transcript, analysis, cost and, if recorded, a presigned recording URL (15 minutes).
    Each read is recorded in the audit trail (``transcript.read``, and ``recording.read`` with a URL)."""
    event = router.current_event
    tenant_id = tenant_id_of(event)
    call = live_call(config.table(), tenant_id, call_id, datetime.now(UTC))
    recording_url = None
    if call.recording_key:
        recording_url = config.s3_client().generate_presigned_url(
            "get_object",
            Params={"Bucket": config.settings().bucket, "Key": call.recording_key},
            ExpiresIn=RECORDING_URL_TTL_S,
        )
    resource = f"calls/{call_id}"
    audit_trail.record(event, tenant_id=tenant_id, action="transcript.read", resource=resource,
                       details={"turns": len(call.transcript)})
    if recording_url is not None:
        audit_trail.record(event, tenant_id=tenant_id, action="recording.read", resource=f"{resource}/recording",
                           details={"url_ttl_s": RECORDING_URL_TTL_S})
    return CallView(**dict(call), recording_url=recording_url)


@router.post("/v1/calls", tags=TAGS, status_code=201, responses=documented(201), summary="Dial out")
def post_call(body: OutboundCall) -> OutboundCallView:
    """Dials ``to`` from one of the tenant's Twilio numbers. The callee's answer fetches the platform's
    voice webhook with ``?direction=outbound&assistant_id=...&call_id=...``, which starts the same
    media stream as an inbound call and creates the call record with this ``call_id``."""
    tenant_id = tenant_id_of(router.current_event)
    table = config.table()
    get_assistant(table, tenant_id, body.assistant_id)
    number = get_number(table, tenant_id, body.from_)
    if number.carrier != "twilio":
        raise Conflict(f"{number.number} is a {number.carrier} number; outbound calls use Twilio numbers")
    call_id = new_id("call")
    sid = carrier.dial(
        carrier.twilio_client(tenant_id),
        to=body.to,
        from_=body.from_,
        public_api_url=config.settings().public_api_url,
        assistant_id=body.assistant_id,
        call_id=call_id,
    )
    return OutboundCallView(call_id=call_id, carrier_call_id=sid, status="queued")
