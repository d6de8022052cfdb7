"""The SSRF guard: where a tool webhook may be sent, decided on resolved IP addresses.

:func:`resolve_destination` resolves the webhook's host once, checks *every* address it resolves
to, and returns a :class:`Destination` pinned to the first one: the connection is made to that
address (with the original host name for ``Host``, SNI and certificate checks), so a DNS answer
that changes between the check and the connect (DNS rebinding) cannot redirect it.

Blocked unless the tenant allows private tool URLs: loopback, RFC 1918 private, link-local,
CGNAT (100.64.0.0/10), multicast, reserved, unspecified and documentation ranges, IPv6 ULA
(fc00::/7) and link-local (fe80::/10), and IPv4 addresses wrapped in IPv6 (mapped, NAT64,
6to4) that are any of those. Cloud metadata and credential endpoints are blocked always, even
for tenants that allow private URLs: a tenant's tool must never reach the platform's own
credentials.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import SwitchboardError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # EC2/ECS instance metadata (IMDS), also GCP and Azure
        "169.254.170.2",  # ECS task metadata and task-role credentials
        "169.254.170.23",  # EKS pod identity agent
        "fd00:ec2::254",  # IMDS over IPv6
        "fd00:ec2::23",  # EKS pod identity agent over IPv6
    )
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedDestination(SwitchboardError):
    """The webhook URL is not allowed (scheme, host, or an address it resolves to)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResolutionFailed(SwitchboardError):
    """The webhook's host name did not resolve (nothing was sent)."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked webhook target, pinned to one resolved address."""

    scheme: str
    host: str
    port: int
    target: str
    """path and query, as sent on the request line"""
    address: str
    """the resolved IP address the connection goes to"""

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(address: str | IPAddress, *, allow_private: bool) -> str | None:
    """Why *address* may not receive a tool request, or ``None`` if it may."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(inner, allow_private=allow_private)
            return None if reason is None else f"{reason} (inside {ip})"
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if allow_private:
        return None
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_reserved, "reserved"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (not ip.is_global, "not globally routable"),
    )
    for hit, label in checks:
        if hit:
            return f"{ip} is a {label} address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of *host* from the system resolver, in its order; :class:`ResolutionFailed` if none."""
    try:
        infos: list[Any] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionFailed(f"{host} did not resolve ({type(exc).__name__})") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ResolutionFailed(f"{host} did not resolve")
    return addresses


def resolve_destination(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Destination:
    """Check *url* and resolve it to a pinned :class:`Destination`.

    Raises :class:`BlockedDestination` (no connection is made) or :class:`ResolutionFailed`.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise BlockedDestination(f"scheme {scheme or '(none)'!r} is not allowed; use https")
    if parts.username or parts.password:
        raise BlockedDestination("credentials in the URL are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedDestination("the URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise BlockedDestination("the URL has an invalid port") from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else list(resolver(host, port))
    if not addresses:
        raise ResolutionFailed(f"{host} did not resolve")
    for address in addresses:
        reason = blocked_reason(address, allow_private=allow_private)
        if reason is not None:
            raise BlockedDestination(f"{host} resolves to a blocked address: {reason}")
    return Destination(scheme=scheme, host=host, port=port, target=target, address=addresses[0])
