"""Twilio webhook requests: form parsing and ``X-Twilio-Signature`` verification.

Twilio signs the exact URL it requested (scheme, host, path, query) plus the sorted POST
parameters. Behind API Gateway, custom domains and a fallback region, several public URLs can
reach the same function, so verification accepts any of a list of candidate URLs (see
:mod:`.public_urls`) and reports which one matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from .errors import WebhookSignatureError

SIGNATURE_HEADER = "x-twilio-signature"


class FormParams(dict[str, list[str]]):
    """POST parameters, every value kept (Twilio signs repeated keys too)."""

    def getlist(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str, default: str | None = None) -> str | None:
        values = self.get(name)
        return values[0] if values else default


def parse_form(body: str) -> FormParams:
    """Parse an ``application/x-www-form-urlencoded`` body, keeping blank values (they are signed)."""
    params = FormParams()
    for name, value in parse_qsl(body, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    return params


def verify_twilio_signature(
    auth_token: str, candidate_urls: Iterable[str], params: Mapping[str, list[str]], signature: str | None
) -> str:
    """Return the candidate URL the signature is valid for, or raise :class:`WebhookSignatureError`."""
    if not auth_token:
        raise WebhookSignatureError("twilio", "unconfigured")
    if not signature:
        raise WebhookSignatureError("twilio", "missing")
    validator = RequestValidator(auth_token)
    for url in candidate_urls:
        if validator.validate(url, params, signature):
            return url
    raise WebhookSignatureError("twilio", "invalid")
