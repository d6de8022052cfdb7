"""The SSRF guard over real sockets: blocked destinations get no connection; allowed ones are pinned."""

from __future__ import annotations

import pytest

from switchboard.tools import WebhookClient, WebhookPolicy

from .webhook_server import answer, scripted_webhook

BODY = b"{}"
HEADERS = {"Idempotency-Key": "call_1:tc_1"}


@pytest.mark.parametrize(
    "host_answer", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "100.64.1.2", "fd00:ec2::254"]
)
def test_internal_destinations_are_blocked_without_a_connection(host_answer: str) -> None:
    # given a live webhook on loopback, and a public-looking name that resolves to an internal address
    with scripted_webhook(answer(200)) as hook:
        client = WebhookClient(resolver=lambda host, port: [host_answer])
        # when a tenant that does not allow private URLs calls it (by name, and by loopback literal)
        by_name = client.post(f"http://tools.example.com:{hook.port}/x", BODY, HEADERS, WebhookPolicy(timeout_ms=500))
        by_literal = client.post(hook.url, BODY, HEADERS, WebhookPolicy(timeout_ms=500))
    # then both are blocked, and no connection was ever made
    assert (by_name.outcome, by_literal.outcome) == ("blocked", "blocked")
    assert by_name.content == {"error": "the tool's address is not allowed"}
    assert (hook.connections, client.attempts) == (0, 0)


def test_metadata_is_blocked_even_for_a_tenant_that_allows_private_urls() -> None:
    client = WebhookClient(resolver=lambda host, port: ["169.254.169.254"])
    result = client.post("http://metadata.example.com/latest/", BODY, HEADERS,
                         WebhookPolicy(timeout_ms=500, allow_private=True))  # fmt: skip
    assert result.outcome == "blocked"
    assert "metadata" in (result.note or "")


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header() -> None:
    # given a name whose (checked) answer is the loopback webhook, for a tenant allowing private URLs
    resolved: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]

    with scripted_webhook(answer(200, {"ok": True})) as hook:
        policy = WebhookPolicy(timeout_ms=1000, allow_private=True)
        url = f"http://tools.example.test:{hook.port}/book"
        result = WebhookClient(resolver=resolver).post(url, BODY, HEADERS, policy)
    # then the request reached that address, naming the original host
    assert result.outcome == "ok"
    assert resolved == ["tools.example.test"]
    assert hook.received[0].header("host") == f"tools.example.test:{hook.port}"
