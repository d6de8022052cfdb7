"""A small Telnyx Call Control client: the few call commands call setup issues.

Commands are ``POST {base}/v2/calls/{call_control_id}/actions/{action}`` with a bearer API key.
Every command carries a ``command_id`` so Telnyx drops duplicates when a webhook is retried.
Failures raise :class:`ProviderError` (retryable for transport errors, 429 and 5xx).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from ..errors import ProviderError

if TYPE_CHECKING:  # imported on first use: call setup's Twilio path never needs it
    import requests

DEFAULT_API_BASE_URL = "https://api.telnyx.com"
ENV_TELNYX_API_BASE_URL = "TELNYX_API_BASE_URL"
RejectCause = Literal["CALL_REJECTED", "USER_BUSY"]


def encode_client_state(text: str) -> str:
    """Telnyx ``client_state`` is base64; it comes back on every later webhook of the call."""
    return base64.b64encode(text.encode()).decode()


def decode_client_state(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True, slots=True)
class MediaStreamRequest:
    """Bidirectional RTP media streaming of the caller's audio to the media worker."""

    stream_url: str
    custom_parameters: Mapping[str, str]
    codec: str = "PCMU"

    def fields(self) -> dict[str, Any]:
        return {
            "stream_url": self.stream_url,
            "stream_track": "inbound_track",
            "stream_codec": self.codec,
            "stream_bidirectional_mode": "rtp",
            "stream_bidirectional_codec": self.codec,
            "custom_parameters": [{"name": k, "value": v} for k, v in self.custom_parameters.items()],
        }


class TelnyxCallControl:
    def __init__(
        self, api_key: str, *, session: requests.Session, base_url: str = DEFAULT_API_BASE_URL, timeout_s: float = 3.0
    ) -> None:
        self._api_key = api_key
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s

    def answer(self, call_control_id: str, *, client_state: str, command_id: str) -> None:
        self._command(call_control_id, "answer", {"client_state": client_state, "command_id": command_id})

    def start_streaming(
        self, call_control_id: str, stream: MediaStreamRequest, *, client_state: str, command_id: str
    ) -> None:
        body = {**stream.fields(), "client_state": client_state, "command_id": command_id}
        self._command(call_control_id, "streaming_start", body)

    def speak(
        self, call_control_id: str, text: str, *, client_state: str, command_id: str, voice: str = "female"
    ) -> None:
        body = {
            "payload": text,
            "voice": voice,
            "language": "en-US",
            "client_state": client_state,
            "command_id": command_id,
        }
        self._command(call_control_id, "speak", body)

    def hangup(self, call_control_id: str, *, command_id: str) -> None:
        self._command(call_control_id, "hangup", {"command_id": command_id})

    def reject(self, call_control_id: str, *, cause: RejectCause, command_id: str) -> None:
        self._command(call_control_id, "reject", {"cause": cause, "command_id": command_id})

    def _command(self, call_control_id: str, action: str, body: dict[str, Any]) -> None:
        import requests

        url = f"{self._base_url}/v2/calls/{quote(call_control_id, safe=':')}/actions/{action}"
        try:
            response = self._session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
                timeout=self._timeout_s,
            )
        except requests.RequestException as exc:
            raise ProviderError("telnyx", f"{action}: {type(exc).__name__}", retryable=True) from None
        if response.status_code >= 300:
            retryable = response.status_code == 429 or response.status_code >= 500
            raise ProviderError("telnyx", f"{action}: HTTP {response.status_code}", retryable=retryable)
