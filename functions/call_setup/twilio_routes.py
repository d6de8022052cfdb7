"""Twilio webhooks: the voice webhook (answer with ``<Connect><Stream>``) and status callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from switchboard.models.call import EndReason
from switchboard.stream_token import STREAM_FROM_PARAMETER, STREAM_TO_PARAMETER, STREAM_TOKEN_PARAMETER
from switchboard.telephony import twiml
from switchboard.telephony.errors import WebhookSignatureError
from switchboard.telephony.public_urls import candidate_urls
from switchboard.telephony.twilio_signature import SIGNATURE_HEADER, FormParams, parse_form, verify_twilio_signature

from . import messages
from .config import CallSetupConfig
from .flow import CallFinished, CallSetup, IncomingCall, Refused
from .twilio_accounts import SigningAccount
from .webhook_request import Reply, WebhookRequest

STATUS_PATH = "/twilio/status"
END_REASONS: dict[str, EndReason] = {
    "completed": "caller_hung_up",
    "canceled": "caller_hung_up",
    "busy": "busy",
    "failed": "failed",
    "no-answer": "no_answer",
}
"""Terminal Twilio ``CallStatus`` values and the end reason of a call that never reached the worker."""

SigningAccountFor = Callable[[str | None], SigningAccount]
"""The account whose token signs webhooks about a tenant's numbers (``TwilioSigningAccounts.for_tenant``)."""


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    params: FormParams
    public_base: str
    """The public base URL the signature matched."""
    signed_for: str | None
    """The tenant whose own Twilio account signed it; ``None`` for the platform account."""


def routing_number(params: FormParams) -> str | None:
    """Our number in the call: the callee of an inbound call, the caller id of an outbound one."""
    outbound = (params.first("Direction") or "inbound").startswith("outbound")
    return params.first("From") if outbound else params.first("To")


def _verified(
    request: WebhookRequest, setup: CallSetup, config: CallSetupConfig, accounts: SigningAccountFor
) -> VerifiedWebhook:
    """Checks X-Twilio-Signature with the token of the account that owns the call or number (see
    :mod:`.twilio_accounts`); raises :class:`WebhookSignatureError`. Nothing is trusted before that:
    the parameters only choose which token must have signed them."""
    params = parse_form(request.text)
    account = accounts(setup.tenant_of("twilio", params.first("CallSid"), routing_number(params)))
    urls = candidate_urls(
        config.public_base_urls,
        route_path=request.route_path,
        raw_query=request.raw_query,
        host=request.host,
        raw_path=request.raw_path,
    )
    matched = verify_twilio_signature(account.auth_token, urls, params, request.header(SIGNATURE_HEADER))
    return VerifiedWebhook(params, matched[: matched.rfind(request.route_path)], account.tenant_id)


def incoming_call(params: FormParams, query: dict[str, str] | None = None) -> IncomingCall | None:
    """The call a voice webhook describes, or ``None`` if it lacks the basics."""
    sid, caller, callee = params.first("CallSid"), params.first("From"), params.first("To")
    ours = routing_number(params)
    if not sid or not callee or not ours:
        return None
    query = query or {}
    if (params.first("Direction") or "inbound").startswith("outbound"):
        return IncomingCall(
            carrier="twilio",
            carrier_call_id=sid,
            direction="outbound",
            routing_number=ours,
            from_number=caller,
            to_number=callee,
            assistant_id=query.get("assistant_id") or None,
            call_id=query.get("call_id") or None,
        )
    return IncomingCall(
        carrier="twilio",
        carrier_call_id=sid,
        direction="inbound",
        routing_number=ours,
        from_number=caller,
        to_number=callee,
    )


def voice(
    request: WebhookRequest, *, setup: CallSetup, config: CallSetupConfig, accounts: SigningAccountFor
) -> Reply:
    try:
        webhook = _verified(request, setup, config, accounts)
    except WebhookSignatureError as exc:
        return Reply(403, f"signature_{exc.reason}", "Forbidden")
    incoming = incoming_call(webhook.params, dict(request.query))
    if incoming is None:
        return Reply(400, "bad_request", "CallSid, From and To are required")
    outcome = setup.start(incoming, signed_for=webhook.signed_for)
    if isinstance(outcome, Refused):
        message = messages.BUSY if outcome.reason == "busy" else messages.UNKNOWN_NUMBER
        return Reply(200, outcome.reason, twiml.say_and_hang_up(message), twiml.TWIML_CONTENT_TYPE)
    parameters = {STREAM_TOKEN_PARAMETER: outcome.token, messages.STREAM_CALL_ID_PARAMETER: outcome.call.call_id,
                  STREAM_TO_PARAMETER: outcome.call.to_number}  # fmt: skip
    if outcome.call.from_number:  # Twilio's stream start has no numbers; call.ended needs the caller's (CRM)
        parameters[STREAM_FROM_PARAMETER] = outcome.call.from_number
    document = twiml.connect_stream(
        f"{config.media_wss_url}/twilio",
        parameters,
        status_callback=f"{webhook.public_base}{STATUS_PATH}",
    )
    label = "started" if outcome.created else "retried"
    return Reply(200, label, document, twiml.TWIML_CONTENT_TYPE, call_id=outcome.call.call_id)


def status(
    request: WebhookRequest,
    *,
    setup: CallSetup,
    config: CallSetupConfig,
    accounts: SigningAccountFor,
    clock: Callable[[], datetime],
) -> Reply:
    """Call status callbacks (and the ``<Stream>`` status callbacks, which need nothing)."""
    try:
        webhook = _verified(request, setup, config, accounts)
    except WebhookSignatureError as exc:
        return Reply(403, f"signature_{exc.reason}", "Forbidden")
    params = webhook.params
    if params.first("StreamEvent"):
        return Reply(204, "stream_event")
    sid, call_status = params.first("CallSid"), params.first("CallStatus") or ""
    end_reason = END_REASONS.get(call_status)
    if not sid or end_reason is None:
        return Reply(204, "ignored")
    try:
        seconds = float(params.first("CallDuration") or 0)
    except ValueError:
        seconds = 0.0
    result = setup.finish(
        CallFinished(
            carrier="twilio", carrier_call_id=sid, ended_at=clock(), end_reason=end_reason, call_seconds=seconds
        ),
        signed_for=webhook.signed_for,
    )
    return Reply(204, result)
