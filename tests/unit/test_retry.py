"""The one retry policy: attempts, backoff with jitter, and what is (not) retried."""

from __future__ import annotations

import pytest

from media_worker.providers.retry import RetryPolicy, refused, retryable_status
from switchboard.errors import ProviderError, Unauthorized


class Recorder:
    """Injected sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Flaky:
    """An operation that fails ``failures`` times with ``error``, then returns ``"ok"``."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def policy(sleep: Recorder, *, jitter_draw: float = 0.0, **options: float) -> RetryPolicy:
    return RetryPolicy(sleep=sleep, random=lambda: jitter_draw, **options)  # type: ignore[arg-type]


async def test_retryable_errors_are_retried_until_success() -> None:
    # given an operation that fails twice with a retryable error
    sleep = Recorder()
    operation = Flaky(2, ProviderError("deepgram", "HTTP 503", retryable=True))

    # when run under a three-attempt policy
    result = await policy(sleep, max_attempts=3).run(operation)

    # then the third attempt's result is returned after two waits
    assert result == "ok"
    assert operation.calls == 3
    assert len(sleep.delays) == 2


async def test_the_last_error_is_raised_when_attempts_run_out() -> None:
    # given an operation that always fails retryably
    sleep = Recorder()
    error = ProviderError("openai", "HTTP 500", retryable=True)
    operation = Flaky(10, error)

    # when run under a three-attempt policy, then the error surfaces after three attempts
    with pytest.raises(ProviderError) as caught:
        await policy(sleep, max_attempts=3).run(operation)
    assert caught.value is error
    assert operation.calls == 3
    assert len(sleep.delays) == 2


async def test_non_retryable_errors_are_not_retried() -> None:
    # given an operation refused for a bad key
    sleep = Recorder()
    operation = Flaky(1, ProviderError("cartesia", "HTTP 401", retryable=False))

    # when run, then it fails at once without waiting
    with pytest.raises(ProviderError):
        await policy(sleep, max_attempts=5).run(operation)
    assert operation.calls == 1
    assert sleep.delays == []


async def test_other_exceptions_are_not_retried() -> None:
    # given an operation failing with something that is not a ProviderError
    sleep = Recorder()
    operation = Flaky(1, Unauthorized("nope"))

    # when run, then it propagates untouched after one attempt
    with pytest.raises(Unauthorized):
        await policy(sleep, max_attempts=5).run(operation)
    assert operation.calls == 1


async def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    # given a policy whose jitter draw scales nothing away (random() == 0)
    sleep = Recorder()
    operation = Flaky(5, ProviderError("deepgram", "reset", retryable=True))

    # when all six attempts are used
    await policy(sleep, jitter_draw=0.0, max_attempts=6, base_delay_s=0.1, multiplier=2.0, max_delay_s=0.5).run(
        operation
    )

    # then the waits grow exponentially and stop at the cap
    assert sleep.delays == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])


async def test_jitter_shortens_each_wait_by_up_to_its_fraction() -> None:
    # given the largest jitter draw (random() -> 1.0) and half jitter
    sleep = Recorder()
    operation = Flaky(3, ProviderError("openai", "HTTP 429", retryable=True))

    # when the attempts are used
    await policy(sleep, jitter_draw=1.0, jitter=0.5, max_attempts=4, base_delay_s=0.2, multiplier=2.0).run(operation)

    # then each wait is half its nominal value
    assert sleep.delays == pytest.approx([0.1, 0.2, 0.4])


def test_delays_lists_the_planned_waits() -> None:
    # given a policy with a fixed jitter draw, then delays() previews the schedule
    plan = RetryPolicy(max_attempts=4, base_delay_s=1.0, multiplier=3.0, max_delay_s=5.0, jitter=0.0)
    assert list(plan.delays()) == pytest.approx([1.0, 3.0, 5.0])


@pytest.mark.parametrize(
    "options",
    [{"max_attempts": 0}, {"jitter": 1.5}, {"base_delay_s": -1.0}, {"multiplier": 0.5}],
)
def test_nonsense_settings_are_rejected(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (403, False), (404, False), (408, True), (429, True), (500, True), (503, True)],
)
def test_http_statuses_map_to_retryability(status: int, retryable: bool) -> None:
    assert retryable_status(status) is retryable
    error = refused("deepgram", status)
    assert error.retryable is retryable
    assert error.provider == "deepgram"
