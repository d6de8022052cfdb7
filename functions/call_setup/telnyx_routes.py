"""Telnyx Call Control webhooks.

- ``call.initiated`` (incoming): the same admission as Twilio. Admitted calls are answered with
  ``client_state`` = base64 of the call id; media streaming starts on ``call.answered`` with
  ``streaming_start``, the only command whose ``custom_parameters`` carry the stream token to the
  worker's ``start`` message. Busy calls are rejected with ``USER_BUSY``. Calls to an unknown
  number are answered, told the number is not in service, and hung up (``notice`` client state
  drives ``call.answered`` → speak → ``call.speak.ended`` → hangup), matching Twilio's behaviour.
- ``call.hangup``: like a Twilio status callback.

Every command carries a ``command_id`` derived from the call, so webhook retries are harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from switchboard.models.call import EndReason
from switchboard.stream_token import STREAM_TOKEN_PARAMETER
from switchboard.telephony.errors import WebhookSignatureError
from switchboard.telephony.telnyx_call_control import (
    MediaStreamRequest,
    TelnyxCallControl,
    decode_client_state,
    encode_client_state,
)
from switchboard.telephony.telnyx_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_telnyx_signature

from . import messages
from .config import CallSetupConfig
from .flow import CallFinished, CallSetup, IncomingCall, Refused
from .webhook_request import Reply, WebhookRequest

NOTICE_PREFIX = "notice:"
UNKNOWN_NUMBER_NOTICE = f"{NOTICE_PREFIX}unknown_number"

END_REASONS: dict[str, EndReason] = {
    "normal_clearing": "caller_hung_up",
    "originator_cancel": "caller_hung_up",
    "user_busy": "busy",
    "call_rejected": "rejected",
    "timeout": "no_answer",
    "no_answer": "no_answer",
}
"""Telnyx ``hangup_cause`` → end reason of a call that never reached the worker (else ``failed``)."""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class TelnyxWebhook:
    def __init__(
        self,
        *,
        setup: CallSetup,
        config: CallSetupConfig,
        public_key: Callable[[], Ed25519PublicKey],
        control: Callable[[], TelnyxCallControl],
        clock: Callable[[], datetime],
    ) -> None:
        self._setup = setup
        self._config = config
        self._public_key = public_key
        self._control = control
        self._clock = clock

    def handle(self, request: WebhookRequest, *, now: float | None = None) -> Reply:
        try:
            verify_telnyx_signature(
                self._public_key(),
                request.body,
                request.header(SIGNATURE_HEADER),
                request.header(TIMESTAMP_HEADER),
                now=now,
            )
        except WebhookSignatureError as exc:
            return Reply(403, f"signature_{exc.reason}", "Forbidden")
        try:
            data = json.loads(request.body)["data"]
            event_type = str(data["event_type"])
            payload: dict[str, Any] = data["payload"]
            call_control_id = str(payload["call_control_id"])
        except (ValueError, KeyError, TypeError):
            return Reply(400, "bad_request", "not a Telnyx call event")
        state = decode_client_state(payload.get("client_state"))
        if event_type == "call.initiated":
            return self._initiated(call_control_id, payload)
        if event_type == "call.answered":
            return self._answered(call_control_id, state)
        if event_type == "call.speak.ended" and state == UNKNOWN_NUMBER_NOTICE:
            self._control().hangup(call_control_id, command_id=f"hangup-{call_control_id}")
            return Reply(200, "notice_done")
        if event_type == "call.hangup":
            return self._hangup(call_control_id, payload)
        return Reply(200, "ignored")

    def _initiated(self, call_control_id: str, payload: dict[str, Any]) -> Reply:
        if payload.get("direction") != "incoming":
            return Reply(200, "ignored")
        callee = str(payload.get("to") or "")
        caller = payload.get("from")
        outcome = self._setup.start(
            IncomingCall(
                carrier="telnyx",
                carrier_call_id=call_control_id,
                direction="inbound",
                routing_number=callee,
                from_number=str(caller) if caller else None,
                to_number=callee,
            )
        )
        control = self._control()
        if isinstance(outcome, Refused):
            if outcome.reason == "busy":
                control.reject(call_control_id, cause="USER_BUSY", command_id=f"reject-{call_control_id}")
            else:
                control.answer(
                    call_control_id,
                    client_state=encode_client_state(UNKNOWN_NUMBER_NOTICE),
                    command_id=f"answer-{call_control_id}",
                )
            return Reply(200, outcome.reason)
        control.answer(
            call_control_id,
            client_state=encode_client_state(outcome.call.call_id),
            command_id=f"answer-{outcome.call.call_id}",
        )
        return Reply(200, "started" if outcome.created else "retried", call_id=outcome.call.call_id)

    def _answered(self, call_control_id: str, state: str | None) -> Reply:
        control = self._control()
        if state == UNKNOWN_NUMBER_NOTICE:
            control.speak(
                call_control_id,
                messages.UNKNOWN_NUMBER,
                client_state=encode_client_state(UNKNOWN_NUMBER_NOTICE),
                command_id=f"speak-{call_control_id}",
            )
            return Reply(200, "notice")
        call = self._setup.open_call("telnyx", call_control_id)
        if call is None or call.status != "ringing":
            return Reply(200, "ignored")
        stream = MediaStreamRequest(
            stream_url=f"{self._config.media_wss_url}/telnyx",
            custom_parameters={
                STREAM_TOKEN_PARAMETER: self._setup.stream_token(call),
                messages.STREAM_CALL_ID_PARAMETER: call.call_id,
            },
        )
        control.start_streaming(
            call_control_id,
            stream,
            client_state=encode_client_state(call.call_id),
            command_id=f"stream-{call.call_id}",
        )
        return Reply(200, "streaming", call_id=call.call_id)

    def _hangup(self, call_control_id: str, payload: dict[str, Any]) -> Reply:
        started, ended = _parse_time(payload.get("start_time")), _parse_time(payload.get("end_time"))
        seconds = (ended - started).total_seconds() if started and ended else 0.0
        result = self._setup.finish(
            CallFinished(
                carrier="telnyx",
                carrier_call_id=call_control_id,
                ended_at=ended or self._clock(),
                end_reason=END_REASONS.get(str(payload.get("hangup_cause") or ""), "failed"),
                call_seconds=seconds,
            )
        )
        return Reply(200, result)
