"""The SSRF guard decides on resolved addresses; metadata endpoints are blocked even for private-URL tenants."""

from __future__ import annotations

import pytest

from switchboard.tools import BlockedDestination, ResolutionFailed, blocked_reason, resolve_destination

BLOCKED = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1",
    "100.127.255.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
]  # fmt: skip
METADATA = ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "::ffff:169.254.169.254"]
PUBLIC = ["8.8.8.8", "93.184.215.14", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", BLOCKED + METADATA)
def test_internal_addresses_are_blocked_by_default(address: str) -> None:
    assert blocked_reason(address, allow_private=False) is not None


@pytest.mark.parametrize("address", METADATA)
def test_metadata_addresses_are_blocked_even_when_private_urls_are_allowed(address: str) -> None:
    assert "metadata" in (blocked_reason(address, allow_private=True) or "")


@pytest.mark.parametrize("address", BLOCKED)
def test_private_addresses_are_allowed_for_tenants_that_opt_in(address: str) -> None:
    assert blocked_reason(address, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(address, allow_private=False) is None


def _resolver(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


def test_destination_is_pinned_to_the_checked_address_with_the_original_host() -> None:
    destination = resolve_destination(
        "https://tools.example.com/book?x=1", allow_private=False, resolver=_resolver("93.184.215.14")
    )
    assert (destination.address, destination.host, destination.port) == ("93.184.215.14", "tools.example.com", 443)
    assert (destination.target, destination.host_header) == ("/book?x=1", "tools.example.com")


def test_a_host_with_any_internal_address_is_blocked() -> None:
    # given a name resolving to a public and a private address (a rebinding or split-horizon trick)
    with pytest.raises(BlockedDestination):
        resolve_destination("https://x.example.com/", allow_private=False, resolver=_resolver("8.8.8.8", "10.0.0.7"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/",  # not an IP literal to Python: goes to the resolver, which we make answer loopback
        "ftp://tools.example.com/x",
        "https://user:pass@tools.example.com/x",
    ],
)
def test_urls_that_are_never_allowed_by_default(url: str) -> None:
    with pytest.raises(BlockedDestination):
        resolve_destination(url, allow_private=False, resolver=_resolver("127.0.0.1"))


def test_an_empty_resolution_is_a_resolution_failure() -> None:
    with pytest.raises(ResolutionFailed):
        resolve_destination("https://nowhere.example.com/", allow_private=False, resolver=_resolver())
