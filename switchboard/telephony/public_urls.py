"""The public URLs a carrier may have used to reach a webhook route.

Carriers sign the URL they called. That URL is one of:

- a configured public base URL (``SWITCHBOARD_PUBLIC_API_URL``, plus any extra bases in
  ``SWITCHBOARD_PUBLIC_API_URLS``, e.g. a custom domain or the fallback region's API) joined
  with the route path;
- the host the request actually arrived on (API Gateway's ``requestContext.domainName``) with
  the raw path as API Gateway saw it (it includes a non-default stage name).

Trying the arrived-on host is safe: a signature still needs the carrier's secret, and it binds
every parameter; the host only decides which of our own endpoints the carrier called.
"""

from __future__ import annotations

from collections.abc import Iterable

ENV_PUBLIC_API_URLS = "SWITCHBOARD_PUBLIC_API_URLS"
"""Comma-separated extra public base URLs (custom domains, the fallback region) accepted for signatures."""


def split_bases(*values: str | None) -> tuple[str, ...]:
    """Public base URLs from env values (each may be comma-separated), without trailing slashes, deduplicated."""
    bases: list[str] = []
    for value in values:
        for part in (value or "").split(","):
            base = part.strip().rstrip("/")
            if base and base not in bases:
                bases.append(base)
    return tuple(bases)


def candidate_urls(
    bases: Iterable[str], *, route_path: str, raw_query: str = "", host: str | None = None, raw_path: str | None = None
) -> tuple[str, ...]:
    """Every URL the carrier may have signed for this request, most likely first."""
    query = f"?{raw_query}" if raw_query else ""
    urls = [f"{base}{route_path}{query}" for base in bases]
    if host:
        urls.append(f"https://{host}{raw_path or route_path}{query}")
    return tuple(dict.fromkeys(urls))


def public_url(base: str, path: str) -> str:
    """*base* (no trailing slash needed) joined with *path*."""
    return f"{base.rstrip('/')}{path}"
