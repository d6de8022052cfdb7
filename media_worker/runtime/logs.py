"""Structured JSON logging for the worker: one JSON object per line on stdout, with the call id.

``configure_logging()`` installs :class:`JsonFormatter` on the root logger (the composition
root calls it once). Anything passed through ``extra=`` becomes a field of the line, so
``log.info("transition", extra={"call_id": ..., "mono_ms": ...})`` is queryable in CloudWatch
Logs Insights. Writing one short line to stdout is the only I/O done on the event loop.

Every line passes :class:`switchboard.log_redaction.RedactionFilter` on the handler, with one
process-wide policy, :data:`LOG_REDACTION`: PII and secrets are scrubbed, fields named like
``dtmf`` / ``digit`` / ``card`` are blanked, and the lines of HIPAA calls (registered with
``LOG_REDACTION.mark_hipaa(call_id)`` by ``call_compliance``) keep no body at all.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

from switchboard.log_redaction import LogRedaction, RedactionFilter

LOG_REDACTION = LogRedaction()
"""The worker's one log redaction policy (HIPAA calls are registered on it)."""

_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra}`` on one line; exceptions as ``error``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            line["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        return json.dumps(line, default=str, separators=(",", ":"))


def configure_logging(
    level: int = logging.INFO, stream: TextIO | None = None, policy: LogRedaction = LOG_REDACTION
) -> None:
    """Route every logger through one redacting JSON handler on ``stream`` (stdout by default)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter(policy))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def monotonic_ms() -> float:
    """The runtime's clock for facts, spans and log lines."""
    return time.monotonic() * 1000.0


class CallLogger:
    """A logger bound to one call: every line carries ``call_id`` and a monotonic ``mono_ms``."""

    def __init__(self, call_id: str, logger: logging.Logger | None = None) -> None:
        self.call_id = call_id
        self._log = logger or logging.getLogger("media_worker.call")

    def info(self, msg: str, **fields: Any) -> None:
        self._emit(logging.INFO, msg, fields)

    def warning(self, msg: str, **fields: Any) -> None:
        self._emit(logging.WARNING, msg, fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._emit(logging.ERROR, msg, fields)

    def _emit(self, level: int, msg: str, fields: dict[str, Any]) -> None:
        if not self._log.isEnabledFor(level):
            return
        exc_info = fields.pop("exc_info", None)  # logging's own keywords, not fields (extra may not hold them)
        stack_info = bool(fields.pop("stack_info", False))
        fields.setdefault("mono_ms", round(monotonic_ms(), 1))
        self._log.log(level, msg, exc_info=exc_info, stack_info=stack_info, extra={"call_id": self.call_id, **fields})
