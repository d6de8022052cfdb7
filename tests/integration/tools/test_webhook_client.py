"""The webhook exchange over real loopback sockets: answers, errors, limits and retries."""

from __future__ import annotations

import pytest

from switchboard.tools import WebhookClient, WebhookPolicy

from .webhook_server import (
    answer,
    close_after_reading,
    hang,
    refused_port,
    reset_before_reading,
    scripted_webhook,
)

BODY = b'{"arguments":{"date":"friday"}}'
HEADERS = {"Idempotency-Key": "call_1:tc_1"}
LOOPBACK_OK = WebhookPolicy(timeout_ms=2000, allow_private=True)


def test_json_answer_becomes_the_ok_content() -> None:
    # given a webhook that answers JSON
    with scripted_webhook(answer(200, {"tables": 2})) as hook:
        # when the platform posts to it
        result = WebhookClient().post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    # then the answer is the content, and the request went to the URL's path with the right Host
    assert (result.outcome, result.content, result.status) == ("ok", {"tables": 2}, 200)
    [request] = hook.received
    assert (request.method, request.target, request.body) == ("POST", "/hooks/tool?v=1", BODY)
    assert request.header("host") == f"127.0.0.1:{hook.port}"
    assert request.header("content-type") == "application/json"
    assert request.header("idempotency-key") == "call_1:tc_1"


def test_plain_text_answer_is_wrapped_for_the_llm() -> None:
    with scripted_webhook(answer(200, body=b"Booked for 7pm", content_type="text/plain")) as hook:
        result = WebhookClient().post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    assert (result.outcome, result.content) == ("ok", {"result": "Booked for 7pm"})


def test_500_is_an_error_result_and_is_not_retried() -> None:
    # given a failing webhook (its code ran, so a retry could repeat a side effect)
    with scripted_webhook(answer(500, {"message": "db down"}), answer(200)) as hook:
        client = WebhookClient()
        result = client.post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    # then one request, and an error result the LLM can recover from
    assert result.outcome == "error"
    assert result.content == {"error": "the tool answered HTTP 500", "status": 500, "detail": {"message": "db down"}}
    assert (client.attempts, len(hook.received)) == (1, 1)


def test_redirects_are_not_followed() -> None:
    with scripted_webhook(answer(302, body=b"")) as hook:
        result = WebhookClient().post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    assert (result.outcome, result.status, len(hook.received)) == ("error", 302, 1)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "streamed"])
def test_an_answer_over_the_size_cap_is_an_error(declare_length: bool) -> None:
    # given a webhook answering 100 KiB against a 64 KiB cap (declared up front, or only streamed)
    big = b"x" * (100 * 1024)
    with scripted_webhook(answer(200, body=big, declare_length=declare_length)) as hook:
        result = WebhookClient().post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    assert result.outcome == "error"
    assert result.content == {"error": "the tool's answer was larger than 65536 bytes"}


def test_an_answer_just_under_the_cap_is_accepted() -> None:
    payload = {"blob": "y" * 60_000}
    with scripted_webhook(answer(200, payload, declare_length=False)) as hook:
        result = WebhookClient().post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    assert (result.outcome, result.content) == ("ok", payload)


def test_a_webhook_that_never_answers_times_out_without_a_retry() -> None:
    # given a webhook that reads the request and hangs
    with scripted_webhook(hang) as hook:
        client = WebhookClient()
        result = client.post(hook.url, BODY, HEADERS, WebhookPolicy(timeout_ms=150, allow_private=True))
        # then a timeout result, after exactly one request (a read timeout is never retried)
        assert result.outcome == "timeout"
        assert result.content == {"error": "the tool did not answer within 150 ms"}
        assert (client.attempts, len(hook.received)) == (1, 1)


def test_a_reset_before_the_request_was_read_is_retried() -> None:
    # given a webhook whose first connection is reset with the request unread, then answers
    with scripted_webhook(reset_before_reading, answer(200, {"tables": 1})) as hook:
        client = WebhookClient()
        result = client.post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    # then the request was sent again, and the webhook read it exactly once
    assert (result.outcome, result.content) == ("ok", {"tables": 1})
    assert (client.attempts, hook.connections, len(hook.received)) == (2, 2, 1)


def test_a_close_after_the_request_was_read_is_not_retried() -> None:
    # given a webhook that read the request, then closed without answering
    with scripted_webhook(close_after_reading, answer(200)) as hook:
        client = WebhookClient()
        result = client.post(hook.url, BODY, HEADERS, LOOPBACK_OK)
    # then no second request: the team's code may have acted on the first
    assert result.outcome == "error"
    assert (client.attempts, hook.connections, len(hook.received)) == (1, 1, 1)


def test_refused_connections_are_retried_then_reported() -> None:
    # given nothing listening
    port = refused_port()
    client = WebhookClient()
    # when posting
    result = client.post(f"http://127.0.0.1:{port}/x", BODY, HEADERS, LOOPBACK_OK)
    # then every attempt was made (nothing was ever sent) and the result is an error
    assert result.outcome == "error"
    assert result.content == {"error": "the tool could not be reached"}
    assert client.attempts == 3


def test_a_host_that_does_not_resolve_is_retried_then_reported() -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        from switchboard.tools import ResolutionFailed

        lookups.append(host)
        raise ResolutionFailed(f"{host} did not resolve")

    result = WebhookClient(resolver=resolver).post("https://tools.example.com/x", BODY, HEADERS, LOOPBACK_OK)
    assert result.outcome == "error"
    assert lookups == ["tools.example.com"] * 3
