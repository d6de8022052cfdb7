"""The one HTTP client for the REST-only CRMs (GoHighLevel, Pipedrive), and session plumbing.

:class:`JsonHttpClient` sends JSON over a ``requests`` session, turns failures into
:class:`~switchboard.crm.base.CrmError` (429 with ``Retry-After``, 5xx and timeouts are
retryable) and retries through the shared :class:`~switchboard.crm.retry.RetryPolicy`.

:func:`build_session` gives every request a default timeout. For a local fake reached
over plain HTTP it can also rewrite ``https://`` to ``http://`` for that one origin: this
is how simple-salesforce, which forces https on every URL, reaches the fake Salesforce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .base import CrmError, error_for_status, parse_retry_after
from .retry import RetryPolicy

DEFAULT_TIMEOUT_S = 10.0


class _TimeoutAndLocalSchemeAdapter(HTTPAdapter):  # type: ignore[misc]
    def __init__(self, timeout_s: float, plain_http_origins: frozenset[str]) -> None:
        super().__init__(max_retries=0)
        self._timeout_s = timeout_s
        self._plain = plain_http_origins

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout_s
        url = request.url or ""
        if url.startswith("https://") and urlsplit(url).netloc in self._plain:
            request.url = "http://" + url[len("https://"):]
        return super().send(request, **kwargs)


def build_session(*, timeout_s: float = DEFAULT_TIMEOUT_S, plain_http_urls: Iterable[str] = ()) -> requests.Session:
    """A session whose requests time out after *timeout_s*; ``https`` to the origins of *plain_http_urls*
    (which must themselves be ``http://`` URLs, i.e. local fakes) is sent as plain ``http``."""
    origins = frozenset(urlsplit(u).netloc for u in plain_http_urls if u.startswith("http://"))
    session = requests.Session()
    adapter = _TimeoutAndLocalSchemeAdapter(timeout_s, origins)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def translate_requests_error(provider: str, what: str, exc: requests.RequestException) -> CrmError:
    """Timeouts and connection failures are retryable; anything else from requests is not."""
    retryable = isinstance(exc, (requests.Timeout, requests.ConnectionError))
    return CrmError(provider, f"{what}: {type(exc).__name__}", retryable=retryable)


class JsonHttpClient:
    """JSON requests against one CRM's base URL, with typed errors and the shared retry policy."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str],
        policy: RetryPolicy,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", **headers}
        self._policy = policy
        self._session = session or build_session(timeout_s=timeout_s)
        self._timeout_s = timeout_s

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded JSON body (None when empty). Non-GET requests count as not idempotent."""
        what = f"{method} {path}"
        safe = method in ("GET", "HEAD") if idempotent is None else idempotent
        return self._policy.run(what, lambda: self._once(method, path, params, json, what), idempotent=safe)

    def _once(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any, what: str) -> Any:
        try:
            response = self._session.request(
                method, f"{self.base_url}{path}", params=params, json=body, headers=self._headers,
                timeout=self._timeout_s,
            )
        except requests.RequestException as exc:
            raise translate_requests_error(self.provider, what, exc) from None
        if response.status_code >= 400:
            raise error_for_status(
                self.provider, what, response.status_code, parse_retry_after(response.headers.get("Retry-After"))
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CrmError(self.provider, f"{what}: response is not JSON", retryable=False) from None
