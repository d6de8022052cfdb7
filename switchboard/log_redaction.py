"""Every log line goes through PII and secret redaction; HIPAA calls keep no message bodies at all.

Two hooks over one policy (:class:`LogRedaction`):

- :class:`RedactionFilter`, a ``logging.Filter`` for standard logging. Attach it to the *handler*
  (a logger's own filters do not see records that propagate from child loggers)::

      handler.addFilter(RedactionFilter(policy))          # the worker's JSON handler
      install_redaction(policy)                           # or: every handler on the root logger

  It rewrites the record in place: the message (``%`` arguments merged), every ``extra=`` field,
  and the exception (its text moves to ``exception`` / ``exception_name`` / ``error`` fields and
  ``exc_info`` is cleared, so no formatter can print the raw message).

- :class:`RedactingPowertoolsFormatter`, for the Powertools ``Logger`` (3.x). Keys added with
  ``append_keys`` or as context keys never pass through a filter, so the formatter scrubs the whole
  structured line just before it is serialised::

      logger = Logger(service="post_call", logger_formatter=RedactingPowertoolsFormatter(policy))

What is scrubbed:

- PII, with :func:`switchboard.redaction.redact` (``placeholder`` by default, or ``mask``; logs are
  never left unredacted, whatever the assistant's transcript setting);
- secrets: bearer tokens, API keys (``sk_...``, ``sk-...``), AWS access key ids, JWTs, HubSpot
  private-app tokens, ``password=...``-style pairs;
- fields whose *name* says they hold a secret or keypad input (``token``, ``secret``, ``password``,
  ``authorization``, ``api_key``, ``signature``, ``dtmf``, ``digit(s)``, ``card``, ``cvv`` ...): the
  value becomes ``[REDACTED]``. DTMF digits are therefore never logged.

HIPAA: a record of a HIPAA call (its ``call_id`` was registered with :meth:`LogRedaction.hipaa_call`,
or the policy is HIPAA for the whole process) keeps no body: the message becomes ``[withheld]``, string
fields other than the operational ids in :data:`HIPAA_SAFE_FIELDS` become ``[withheld]`` (numbers and
booleans stay: latencies, counts), and an exception keeps only its type name.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from .redaction import Mode, redact

REDACTED = "[REDACTED]"
WITHHELD = "[withheld]"
SECRET = "[SECRET]"

HIPAA_SAFE_FIELDS = frozenset({
    "call_id", "tenant_id", "assistant_id", "event", "event_type", "step", "state", "status", "outcome",
    "end_reason", "reason", "crm", "provider", "layer", "source", "stage", "carrier", "direction", "level",
    "logger", "service", "location", "timestamp", "ts", "exception_name", "xray_trace_id", "function_name",
    "function_request_id", "function_arn", "function_memory_size", "cold_start", "sampling_rate", "correlation_id",
})
"""Fields a HIPAA line keeps (structure and operational ids; none of them carries call content)."""

ID_FIELDS = frozenset({
    "call_id", "tenant_id", "assistant_id", "key_id", "event_id", "request_id", "tool_call_id", "correlation_id",
    "carrier_call_id", "stream_sid", "function_request_id", "xray_trace_id", "trace_id", "span_id",
})
"""Platform and provider ids: logged as they are (no PII in them; redacting them would break correlation)."""

_STRUCTURAL = frozenset({
    "level", "location", "timestamp", "service", "sampling_rate", "xray_trace_id", "cold_start",
    "function_name", "function_memory_size", "function_arn", "function_request_id", "exception_name",
})
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "taskName"}
)
_SENSITIVE_KEY = re.compile(
    r"(?:^|[_-])(?:secret|secrets|password|passwd|pwd|token|api[_-]?key|apikey|authorization|auth|credentials?"
    r"|signature|cookie|dtmf|digits?|card|card[_-]?number|pan|cvv|cvc|ssn)$",
    re.IGNORECASE,
)
_SECRETS = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + SECRET),
    (re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"), "Basic " + SECRET),
    (re.compile(r"\bsk[_-][A-Za-z0-9_-]{16,}"), SECRET),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), SECRET),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), SECRET),
    (re.compile(r"\bpat-[a-z0-9]{2,4}-[0-9a-f-]{36}\b"), SECRET),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|access[_-]?key|auth(?:orization)?)"
                   r"(\"?\s*[=:]\s*\"?)(?!\[SECRET\]|(?i:bearer|basic)\b)([^\s\"',;&]+)"),
        r"\1\2" + SECRET,
    ),
)


def scrub_secrets(text: str) -> str:
    """*text* with credentials replaced by ``[SECRET]``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def is_sensitive_key(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key))


class LogRedaction:
    """The log policy: redaction mode, process-wide HIPAA, and the live calls that are HIPAA calls."""

    def __init__(self, mode: Mode = "placeholder", *, hipaa: bool = False) -> None:
        if mode not in ("mask", "placeholder"):
            raise ValueError("logs are always redacted: mode must be 'mask' or 'placeholder'")
        self.mode: Mode = mode
        self.hipaa = hipaa
        self._hipaa_calls: set[str] = set()
        self._lock = threading.Lock()

    def mark_hipaa(self, call_id: str) -> None:
        with self._lock:
            self._hipaa_calls.add(call_id)

    def forget(self, call_id: str) -> None:
        with self._lock:
            self._hipaa_calls.discard(call_id)

    @contextmanager
    def hipaa_call(self, call_id: str) -> Iterator[None]:
        """Within the block, every line that carries ``call_id`` is logged the HIPAA way."""
        self.mark_hipaa(call_id)
        try:
            yield
        finally:
            self.forget(call_id)

    def is_hipaa(self, call_id: object) -> bool:
        if self.hipaa:
            return True
        if not isinstance(call_id, str):
            return False
        with self._lock:
            return call_id in self._hipaa_calls

    # -- scrubbing ----------------------------------------------------------------------------

    def text(self, value: str, *, hipaa: bool) -> str:
        return WITHHELD if hipaa else scrub_secrets(redact(value, self.mode))

    def field(self, key: str, value: Any, *, hipaa: bool) -> Any:
        if is_sensitive_key(key):
            return REDACTED if value not in (None, "") else value
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if key in ID_FIELDS and isinstance(value, str):
            return scrub_secrets(value)
        if hipaa and key not in HIPAA_SAFE_FIELDS:
            return WITHHELD
        return self.value(value, hipaa=hipaa)

    def value(self, value: Any, *, hipaa: bool) -> Any:
        if isinstance(value, str):
            return scrub_secrets(redact(value, self.mode))
        if isinstance(value, dict):
            return {k: self.field(str(k), v, hipaa=hipaa) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.value(item, hipaa=hipaa) for item in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self.value(str(value), hipaa=hipaa)  # anything else would be logged through str()

    def exception_fields(self, exc: BaseException, *, hipaa: bool) -> dict[str, str]:
        name = type(exc).__name__
        if hipaa:
            return {"exception_name": name, "error": name}
        formatted = "".join(traceback.format_exception(exc)).rstrip()
        return {
            "exception_name": name,
            "exception": self.text(formatted, hipaa=False),
            "error": self.text(f"{name}: {exc}", hipaa=False),
        }


class RedactionFilter(logging.Filter):
    """Rewrites each record (message, extras, exception); never drops a record."""

    def __init__(self, policy: LogRedaction | None = None) -> None:
        super().__init__()
        self.policy = policy or LogRedaction()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_switchboard_redacted", False):
            return True
        policy = self.policy
        hipaa = policy.is_hipaa(getattr(record, "call_id", None))
        if isinstance(record.msg, dict) and not record.args:
            record.msg = policy.field("message", record.msg, hipaa=hipaa)
        else:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a bad %-format: log what there is, redacted
                message = f"{record.msg} {record.args}"
            record.msg = policy.text(message, hipaa=hipaa)
            record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, policy.field(key, value, hipaa=hipaa))
        if record.exc_info and record.exc_info[1] is not None:
            record_exc = record.exc_info[1]
            for key, value in policy.exception_fields(record_exc, hipaa=hipaa).items():
                setattr(record, key, value)
            record.exc_info = None
            record.exc_text = getattr(record, "exception", None) or type(record_exc).__name__
        elif record.exc_text:
            record.exc_text = policy.text(record.exc_text, hipaa=hipaa)
        if record.stack_info:
            record.stack_info = None if hipaa else policy.text(record.stack_info, hipaa=False)
        record._switchboard_redacted = True
        return True


class RedactingPowertoolsFormatter(LambdaPowertoolsFormatter):
    """The Powertools JSON formatter, scrubbing the whole structured line before it is serialised."""

    def __init__(self, policy: LogRedaction | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy or LogRedaction()

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        policy = self.policy
        hipaa = policy.is_hipaa(log.get("call_id"))
        clean: dict[str, Any] = {}
        for key, value in log.items():
            if key in _STRUCTURAL:
                clean[key] = value
            elif key == "message":
                clean[key] = policy.text(value, hipaa=hipaa) if isinstance(value, str) else policy.field(
                    key, value, hipaa=hipaa)
            elif key in ("exception", "stack_trace"):
                if not hipaa:
                    clean[key] = policy.value(value, hipaa=False)
            else:
                clean[key] = policy.field(key, value, hipaa=hipaa)
        return super().serialize(clean)


def install_redaction(policy: LogRedaction | None = None, logger: logging.Logger | None = None) -> RedactionFilter:
    """Add one :class:`RedactionFilter` to every handler of *logger* (the root logger by default)."""
    target = logger or logging.getLogger()
    redaction_filter = RedactionFilter(policy)
    for handler in target.handlers:
        if not any(isinstance(f, RedactionFilter) for f in handler.filters):
            handler.addFilter(redaction_filter)
    return redaction_filter
