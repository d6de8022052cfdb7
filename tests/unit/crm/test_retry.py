"""The shared CRM retry policy: Retry-After, backoff, non-retryable errors, ambiguous creates."""

from __future__ import annotations

import pytest

from switchboard.crm.base import CrmError, error_for_status, parse_retry_after
from switchboard.crm.retry import RetryPolicy


class Flaky:
    def __init__(self, *errors: CrmError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def policy(slept: list[float], attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay_s=0.5, sleep=slept.append, jitter=lambda: 1.0)


def test_429_waits_exactly_retry_after_then_succeeds() -> None:
    slept: list[float] = []
    op = Flaky(error_for_status("hubspot", "search", 429, retry_after=1.0))
    assert policy(slept).run("search", op) == "ok"
    assert (op.calls, slept) == (2, [1.0])


def test_5xx_and_timeouts_back_off_exponentially_until_attempts_run_out() -> None:
    slept: list[float] = []
    op = Flaky(
        error_for_status("hubspot", "search", 500),
        CrmError("hubspot", "search: ReadTimeout", retryable=True),
        error_for_status("hubspot", "search", 503),
    )
    with pytest.raises(CrmError) as info:
        policy(slept).run("search", op)
    assert info.value.status == 503
    assert op.calls == 3
    assert slept == [0.5, 1.0]  # base 0.5 s, doubled; jitter pinned to the full delay


def test_client_errors_are_not_retried() -> None:
    slept: list[float] = []
    op = Flaky(error_for_status("pipedrive", "create", 401))
    with pytest.raises(CrmError) as info:
        policy(slept).run("create", op)
    assert info.value.retryable is False
    assert (op.calls, slept) == (1, [])


def test_ambiguous_create_failures_are_left_to_redelivery_but_429_is_retried() -> None:
    slept: list[float] = []
    timed_out = Flaky(CrmError("hubspot", "create: ReadTimeout", retryable=True))
    with pytest.raises(CrmError) as info:
        policy(slept).run("create", timed_out, idempotent=False)
    assert info.value.retryable is True  # SQS redelivers; the dedupe check runs first then
    assert timed_out.calls == 1
    throttled = Flaky(error_for_status("hubspot", "create", 429, retry_after=0.0))
    assert policy(slept).run("create", throttled, idempotent=False) == "ok"
    assert throttled.calls == 2


def test_a_retry_after_beyond_the_budget_is_not_slept_here() -> None:
    slept: list[float] = []
    op = Flaky(error_for_status("hubspot", "search", 429, retry_after=600.0))
    with pytest.raises(CrmError) as info:
        policy(slept).run("search", op)
    assert info.value.retryable is True
    assert slept == []


@pytest.mark.parametrize(("header", "seconds"), [("0", 0.0), ("2", 2.0), (" 1.5 ", 1.5), ("-3", 0.0),
                                                 ("Wed, 21 Oct 2026 07:28:00 GMT", None), (None, None)])
def test_retry_after_header_parsing(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (403, False), (404, False),
                                                   (408, True), (429, True), (500, True), (502, True), (503, True)])
def test_which_statuses_are_retryable(status: int, retryable: bool) -> None:
    assert error_for_status("salesforce", "x", status).retryable is retryable
