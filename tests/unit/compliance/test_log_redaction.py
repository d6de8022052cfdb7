"""Log redaction on a real ``logging`` logger, the worker's JSON formatter and a Powertools Logger."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from aws_lambda_powertools import Logger

from media_worker.runtime.logs import JsonFormatter
from switchboard.log_redaction import (
    REDACTED,
    WITHHELD,
    LogRedaction,
    RedactingPowertoolsFormatter,
    RedactionFilter,
    install_redaction,
    scrub_secrets,
)

EMAIL = "jane.doe@example.com"
PHONE = "+14155550123"
CARD = "4111 1111 1111 1111"
API_KEY = "sk_" + "A1b2C3d4E5f6G7h8I9j0KlMnOpQr"
BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
LEAKS = (EMAIL, PHONE, CARD, "4111111111111111", API_KEY, "eyJhbGciOiJIUzI1NiJ9", "c2lnbmF0dXJl")


def assert_clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked into {text!r}"


@pytest.fixture
def std_logger() -> Iterator[tuple[logging.Logger, io.StringIO, LogRedaction]]:
    """A real logger writing plain text through a handler that carries the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s | email=%(email)s"))
    policy = LogRedaction()
    handler.addFilter(RedactionFilter(policy))
    logger = logging.getLogger(f"test.compliance.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream, policy
    logger.removeHandler(handler)


def test_message_arguments_and_extra_fields_are_redacted(std_logger: tuple[logging.Logger, io.StringIO,
                                                                           LogRedaction]) -> None:
    logger, stream, _ = std_logger
    # when a line carries PII in its format arguments and in an extra field
    logger.info("caller %s gave card %s", PHONE, CARD, extra={"email": EMAIL})
    # then the written line has placeholders only
    line = stream.getvalue()
    assert_clean(line)
    assert line.strip() == "INFO caller [PHONE] gave card [CARD] | email=[EMAIL]"


def test_secrets_and_keypad_input_never_reach_the_log(std_logger: tuple[logging.Logger, io.StringIO,
                                                                        LogRedaction]) -> None:
    logger, stream, _ = std_logger
    logger.warning("retrying with Authorization: %s and key %s", BEARER, API_KEY,
                   extra={"email": "none", "api_key": API_KEY, "dtmf": "4", "digits": "1234"})
    record_text = stream.getvalue()
    assert_clean(record_text)
    assert "[SECRET]" in record_text


def test_exceptions_are_redacted_and_cannot_be_reformatted_raw(std_logger: tuple[logging.Logger, io.StringIO,
                                                                                  LogRedaction]) -> None:
    logger, stream, _ = std_logger
    try:
        raise ValueError(f"no contact for {EMAIL}")
    except ValueError:
        logger.exception("lookup failed", extra={"email": "n/a"})
    text = stream.getvalue()
    assert_clean(text)
    assert "ValueError: no contact for [EMAIL]" in text
    assert "Traceback" in text


def test_hipaa_call_lines_keep_no_body(std_logger: tuple[logging.Logger, io.StringIO, LogRedaction]) -> None:
    logger, stream, policy = std_logger
    # given a call registered as a HIPAA call
    with policy.hipaa_call("call_h1"):
        logger.info("caller said they have diabetes", extra={"call_id": "call_h1", "email": "x", "latency_ms": 412.5})
        try:
            raise RuntimeError("patient record 12 missing")
        except RuntimeError:
            logger.exception("failed", extra={"call_id": "call_h1", "email": "x"})
    # and a line of another call
    logger.info("caller said hello", extra={"call_id": "call_other", "email": EMAIL})
    lines = stream.getvalue().splitlines()
    # then the HIPAA lines have no message and no field content, only the exception type
    assert lines[0] == f"INFO {WITHHELD} | email={WITHHELD}"
    assert "diabetes" not in stream.getvalue() and "patient record" not in stream.getvalue()
    assert any("RuntimeError" in line for line in lines)
    # and the other call is logged normally (redacted)
    assert lines[-1] == "INFO caller said hello | email=[EMAIL]"


def test_process_wide_hipaa_withholds_every_body() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter(LogRedaction(hipaa=True)))
    logger = logging.getLogger(f"test.compliance.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.warning("caller %s", "Jane with asthma", extra={"call_id": "call_1", "note": "asthma", "mono_ms": 5.0})
    line = json.loads(stream.getvalue())
    assert line["msg"] == WITHHELD
    assert line["note"] == WITHHELD
    assert line["call_id"] == "call_1"  # operational ids and numbers stay
    assert line["mono_ms"] == 5.0


def test_the_workers_json_formatter_gets_redacted_fields_and_a_redacted_error() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactionFilter())
    logger = logging.getLogger(f"test.compliance.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        raise KeyError(EMAIL)
    except KeyError:
        logger.exception("tool failed", extra={"call_id": "call_a1234567890b", "arguments": {"to": PHONE}})
    line = json.loads(stream.getvalue())
    assert_clean(stream.getvalue())
    assert line["call_id"] == "call_a1234567890b"  # ids are not mistaken for phone numbers
    assert line["error"] == "KeyError: '[EMAIL]'"
    assert line["exception_name"] == "KeyError"


def test_install_redaction_covers_records_propagating_from_child_loggers() -> None:
    stream = io.StringIO()
    parent = logging.getLogger(f"test.compliance.{uuid.uuid4().hex}")
    parent.propagate = False
    handler = logging.StreamHandler(stream)
    parent.addHandler(handler)
    install_redaction(logger=parent)
    install_redaction(logger=parent)  # idempotent
    logging.getLogger(f"{parent.name}.child").warning("mail %s", EMAIL)
    assert stream.getvalue().strip() == "mail [EMAIL]"
    assert sum(isinstance(f, RedactionFilter) for f in handler.filters) == 1


def powertools_logger(policy: LogRedaction) -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    logger = Logger(service=f"compliance-{uuid.uuid4().hex}", stream=stream,
                    logger_formatter=RedactingPowertoolsFormatter(policy))
    return logger, stream


def test_powertools_logger_lines_are_redacted_including_appended_keys() -> None:
    logger, stream = powertools_logger(LogRedaction())
    logger.append_keys(caller=PHONE)
    logger.info({"event": "crm lookup", "email": EMAIL}, extra={"authorization": BEARER, "call_id": "call_1"})
    logger.info("card %s read", CARD)
    try:
        raise ValueError(f"bad card {CARD}")
    except ValueError:
        logger.exception("payment failed")
    out = stream.getvalue()
    assert_clean(out)
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert first["message"] == {"event": "crm lookup", "email": "[EMAIL]"}
    assert first["caller"] == "[PHONE]"
    assert first["authorization"] == REDACTED
    assert first["call_id"] == "call_1"
    assert second["message"] == "card [CARD] read"
    assert third["exception_name"] == "ValueError"
    assert "bad card [CARD]" in third["exception"]


def test_powertools_logger_in_hipaa_mode_drops_message_bodies() -> None:
    policy = LogRedaction()
    logger, stream = powertools_logger(policy)
    policy.mark_hipaa("call_h")
    logger.info("caller described symptoms", extra={"call_id": "call_h", "summary": "chest pain", "turns": 4})
    try:
        raise ValueError("chest pain not coded")
    except ValueError:
        logger.exception("analysis failed", extra={"call_id": "call_h"})
    out = stream.getvalue()
    first, second = (json.loads(line) for line in out.splitlines())
    assert "chest pain" not in out and "symptoms" not in out
    assert first["message"] == WITHHELD
    assert first["summary"] == WITHHELD
    assert first["turns"] == 4
    assert second["exception_name"] == "ValueError"
    assert "exception" not in second and "stack_trace" not in second


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2 ok", "password=[SECRET] ok"),
        ('{"api_key": "abc123"}', '{"api_key": "[SECRET]"}'),
        ("key AKIAIOSFODNN7EXAMPLE used", "key [SECRET] used"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [SECRET]"),
        ("hubspot pat-na1-1b2c3d4e-aaaa-bbbb-cccc-123456789abc", "hubspot [SECRET]"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_scrub_secrets(text: str, expected: str) -> None:
    assert scrub_secrets(text) == expected


def test_logs_cannot_be_configured_unredacted() -> None:
    with pytest.raises(ValueError, match="always redacted"):
        LogRedaction("off")
