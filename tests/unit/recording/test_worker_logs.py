"""The worker's logging set-up: JSON lines through the redaction filter, HIPAA calls without bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from media_worker.runtime.logs import CallLogger, configure_logging
from switchboard.log_redaction import LogRedaction


@pytest.fixture
def policy_and_buffer() -> Iterator[tuple[LogRedaction, io.StringIO]]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    policy, buffer = LogRedaction(), io.StringIO()
    configure_logging(stream=buffer, policy=policy)
    try:
        yield policy, buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_pii_and_keypad_digits_never_reach_the_log(policy_and_buffer: tuple[LogRedaction, io.StringIO]) -> None:
    _, buffer = policy_and_buffer
    CallLogger("ca_1").info("caller said jane@example.com", dtmf="1234", turn=2)
    (line,) = lines(buffer)
    assert line["msg"] == "caller said [EMAIL]" and line["dtmf"] == "[REDACTED]" and line["turn"] == 2


def test_an_exception_is_logged_redacted_and_does_not_break_the_call_logger(
    policy_and_buffer: tuple[LogRedaction, io.StringIO],
) -> None:
    _, buffer = policy_and_buffer
    try:
        raise ValueError("bad input from jane@example.com")
    except ValueError:
        CallLogger("ca_1").error("command failed", exc_info=True)
    (line,) = lines(buffer)
    assert line["exception_name"] == "ValueError" and "jane" not in json.dumps(line)


def test_a_hipaa_call_logs_no_bodies_until_forgotten(policy_and_buffer: tuple[LogRedaction, io.StringIO]) -> None:
    policy, buffer = policy_and_buffer
    policy.mark_hipaa("ca_h")
    CallLogger("ca_h").info("transition", to_state="thinking", at_ms=12.5)
    policy.forget("ca_h")
    CallLogger("ca_h").info("transition", to_state="listening")
    hipaa, normal = lines(buffer)
    assert (hipaa["msg"], hipaa["to_state"]) == ("[withheld]", "[withheld]")
    assert (hipaa["at_ms"], hipaa["call_id"]) == (12.5, "ca_h")  # numbers and ids stay
    assert (normal["msg"], normal["to_state"]) == ("transition", "listening")
