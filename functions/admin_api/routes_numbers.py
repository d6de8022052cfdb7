"""Phone numbers: bring your own (Twilio or Telnyx), provision from Twilio, route, list, detach."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from switchboard.errors import Conflict
from switchboard.models import PhoneNumber
from switchboard.store import (
    attach_number,
    detach_number,
    find_number_claim,
    get_assistant,
    get_number,
    list_numbers,
    route_number,
)

from . import audit_trail, carrier, config
from .auth import tenant_id_of
from .problems import documented, no_content
from .schemas import Cursor, Limit, NumberAttach, NumberPage, NumberPatch, NumberProvision

router = APIGatewayHttpRouter()
TAGS = ["numbers"]
NUMBER = Annotated[str, Path(description="E.164, e.g. +14155550123 (the + may be sent as %2B)"), Field(max_length=32)]


def _number(raw: str) -> str:
    return unquote(raw)


def _changed(tenant_id: str, number: str, operation: str, assistant_id: str | None = None) -> None:
    audit_trail.config_changed(router.current_event, tenant_id=tenant_id, resource=f"numbers/{number}",
                               operation=operation, details={"assistant_id": assistant_id})


@router.post("/v1/numbers", tags=TAGS, status_code=201, responses=documented(201, audited=True),
             summary="Attach your own number")
def post_number(body: NumberAttach) -> PhoneNumber:
    """Twilio: the number's voice URL, status callback (and fallback) are pointed at this platform.
    Telnyx: the number is recorded; point its Call Control application's webhook at
    ``{public API URL}/telnyx/webhook``."""
    tenant_id = tenant_id_of(router.current_event)
    table = config.table()
    if body.assistant_id is not None:
        get_assistant(table, tenant_id, body.assistant_id)
    if find_number_claim(table, body.number) is not None:  # before touching the carrier's configuration
        raise Conflict(f"{body.number} is already attached")
    carrier_sid = None
    if body.carrier == "twilio" and body.configure_carrier:
        webhooks = carrier.Webhooks.for_platform(
            config.settings().public_api_url, str(body.fallback_url) if body.fallback_url else None
        )
        carrier_sid = carrier.point_number_at_platform(carrier.twilio_client(tenant_id), body.number, webhooks)
    number = PhoneNumber(
        number=body.number,
        tenant_id=tenant_id,
        carrier=body.carrier,
        assistant_id=body.assistant_id,
        carrier_sid=carrier_sid,
        fallback_url=body.fallback_url,
    )
    attached = attach_number(table, tenant_id, number)
    _changed(tenant_id, attached.number, "attach", assistant_id=attached.assistant_id)
    return attached


@router.post(
    "/v1/numbers/provision", tags=TAGS, status_code=201, responses=documented(201, audited=True),
    summary="Buy a Twilio number",
)
def provision_number(body: NumberProvision) -> PhoneNumber:
    tenant_id = tenant_id_of(router.current_event)
    table = config.table()
    if body.assistant_id is not None:
        get_assistant(table, tenant_id, body.assistant_id)
    webhooks = carrier.Webhooks.for_platform(config.settings().public_api_url)
    bought, sid = carrier.buy_local_number(
        carrier.twilio_client(tenant_id), body.area_code, webhooks, country=body.country
    )
    number = PhoneNumber(
        number=bought, tenant_id=tenant_id, carrier="twilio", assistant_id=body.assistant_id, carrier_sid=sid
    )
    attached = attach_number(table, tenant_id, number)
    _changed(tenant_id, attached.number, "provision", assistant_id=attached.assistant_id)
    return attached


@router.get("/v1/numbers", tags=TAGS, responses=documented(), summary="List numbers")
def get_numbers(limit: Annotated[Limit, Query()] = 50, cursor: Annotated[Cursor | None, Query()] = None) -> NumberPage:
    page = list_numbers(config.table(), tenant_id_of(router.current_event), limit=limit, cursor=cursor)
    return NumberPage(items=list(page.items), next_cursor=page.cursor)


@router.get("/v1/numbers/<number>", tags=TAGS, responses=documented(), summary="Get a number")
def get_one_number(number: NUMBER) -> PhoneNumber:
    return get_number(config.table(), tenant_id_of(router.current_event), _number(number))


@router.patch("/v1/numbers/<number>", tags=TAGS, responses=documented(audited=True), summary="Route a number")
def patch_number(number: NUMBER, body: NumberPatch) -> PhoneNumber:
    tenant_id = tenant_id_of(router.current_event)
    routed = route_number(config.table(), tenant_id, _number(number), body.assistant_id)
    _changed(tenant_id, routed.number, "route", assistant_id=routed.assistant_id)
    return routed


@router.delete("/v1/numbers/<number>", tags=TAGS, status_code=204, responses=documented(204, audited=True),
               summary="Detach a number")
def remove_number(number: NUMBER) -> Response[str]:
    """Releases the platform's claim; the number stays in the carrier account."""
    tenant_id = tenant_id_of(router.current_event)
    detach_number(config.table(), tenant_id, _number(number))
    _changed(tenant_id, _number(number), "detach")
    return no_content()
