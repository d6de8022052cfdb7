"""Circuit breaker states on a hand-driven clock."""

from __future__ import annotations

import logging

import pytest

from media_worker.runtime.breakers import BreakerBoard, BreakerConfig, BreakerState

CONFIG = BreakerConfig(failure_threshold=3, window_s=10.0, cooldown_s=30.0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def board(clock: Clock) -> BreakerBoard:
    return BreakerBoard(clock=clock)


def test_it_opens_after_n_consecutive_failures_and_refuses_requests(board: BreakerBoard) -> None:
    breaker = board.get("llm:primary", CONFIG)
    for _ in range(2):
        breaker.record_failure("ca_1")
    assert breaker.state is BreakerState.CLOSED and breaker.allow("ca_2")

    breaker.record_failure("ca_3")

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow("ca_4")


def test_a_success_resets_the_count(board: BreakerBoard) -> None:
    breaker = board.get("llm:primary", CONFIG)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_failures_outside_the_window_do_not_count(board: BreakerBoard, clock: Clock) -> None:
    breaker = board.get("llm:primary", CONFIG)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 11.0
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_after_the_cool_down_one_probe_goes_through_and_its_success_closes_it(
    board: BreakerBoard, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="media_worker.resilience")
    breaker = board.get("llm:primary", CONFIG)
    for _ in range(3):
        breaker.record_failure("ca_fail")
    clock.now += 29.0
    assert not breaker.allow("ca_early")

    clock.now += 1.0
    assert breaker.allow("ca_probe")  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow("ca_other")  # one probe at a time
    breaker.record_success("ca_probe")

    assert breaker.state is BreakerState.CLOSED and breaker.allow("ca_next")
    assert [(t.from_state, t.to_state, t.call_id) for t in board.transitions] == [
        ("closed", "open", "ca_fail"),
        ("open", "half_open", "ca_probe"),
        ("half_open", "closed", "ca_probe"),
    ]
    lines = [r for r in caplog.records if r.getMessage() == "breaker transition"]
    assert [(r.breaker, r.to_state, r.call_id) for r in lines] == [
        ("llm:primary", "open", "ca_fail"), ("llm:primary", "half_open", "ca_probe"),
        ("llm:primary", "closed", "ca_probe")]  # fmt: skip


def test_a_failed_probe_opens_it_again_for_another_cool_down(board: BreakerBoard, clock: Clock) -> None:
    breaker = board.get("llm:primary", CONFIG)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30.0
    assert breaker.allow("ca_probe")
    breaker.record_failure("ca_probe")

    assert breaker.state is BreakerState.OPEN
    clock.now += 29.0
    assert not breaker.allow()
    clock.now += 1.0
    assert breaker.allow()


def test_a_probe_that_never_reports_is_replaced_after_a_cool_down(board: BreakerBoard, clock: Clock) -> None:
    breaker = board.get("llm:primary", CONFIG)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30.0
    assert breaker.allow("ca_lost_probe")
    clock.now += 29.0
    assert not breaker.allow("ca_waiting")
    clock.now += 1.0
    assert breaker.allow("ca_new_probe")


def test_late_failures_while_open_do_not_extend_the_cool_down(board: BreakerBoard, clock: Clock) -> None:
    breaker = board.get("llm:primary", CONFIG)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 20.0
    breaker.record_failure("ca_in_flight")
    clock.now += 10.0
    assert breaker.allow()


def test_breakers_are_shared_by_name(board: BreakerBoard) -> None:
    assert board.get("tts:cartesia:sonic-3", CONFIG) is board.get("tts:cartesia:sonic-3")
    assert board.get("tts:cartesia:sonic-3") is not board.get("tts:openai_tts:gpt-4o-mini-tts")


def test_a_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        BreakerConfig(failure_threshold=0)
