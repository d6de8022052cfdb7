"""RFC 9457 problem details for every error the admin API returns."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import DecimalException
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field, ValidationError

from switchboard.errors import Conflict, LimitExceeded, NotFound, ProviderError, SwitchboardError, Unauthorized
from switchboard.gdpr import InvalidPhoneNumber
from switchboard.hipaa import NotBaaEligible
from switchboard.store import InvalidCursor

from .audit_trail import AuditUnavailable
from .auth import Forbidden

PROBLEM_JSON = "application/problem+json"


class BadRequest(SwitchboardError, ValueError):
    """Query values that are valid one by one but not together (a range backwards or too long)."""

TYPE_BASE = "urn:switchboard:problem:"


class FieldError(BaseModel):
    loc: str = Field(description="where: body/stt/provider, query/limit, ...")
    type: str
    msg: str


class Problem(BaseModel):
    """``application/problem+json`` (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


def problem(
    status: int, detail: str, *, instance: str, slug: str, errors: Sequence[FieldError] | None = None
) -> Response[str]:
    body = Problem(
        type=TYPE_BASE + slug,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    return Response(status_code=status, content_type=PROBLEM_JSON, body=body.model_dump_json(exclude_none=True))


def _loc(parts: Sequence[Any]) -> str:
    return "/".join(str(p) for p in parts)


def field_errors(errors: Sequence[Any], *, prefix: Sequence[str] = ()) -> list[FieldError]:
    """Locations, codes and messages only: never the rejected input (it may be a credential)."""
    return [
        FieldError(
            loc=_loc([*prefix, *e.get("loc", ())]), type=str(e.get("type", "invalid")), msg=str(e.get("msg", ""))
        )
        for e in errors
    ]


PROBLEM_RESPONSES: dict[int, OpenAPIResponse] = {
    status: {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"model": Problem}},
    }
    for status in (400, 401, 403, 404, 409, 422)
}
"""OpenAPI ``responses`` entries for the problem statuses a route can return."""


def no_content() -> Response[str]:
    """A 204: no body, no content type."""
    return Response(status_code=204, body="")


AUDIT_UNAVAILABLE: dict[int, OpenAPIResponse] = {
    503: {"description": "the audit trail is unavailable (nothing was returned)",
          "content": {PROBLEM_JSON: {"model": Problem}}},
}


def documented(status: int = 200, *, audited: bool = False) -> dict[int, OpenAPIResponse]:
    """A route's ``responses``: its success (schema from the return annotation; 204 has none) and the problems
    (*audited* routes also answer 503 when their audit entry cannot be written)."""
    success: OpenAPIResponse = {"description": HTTPStatus(status).phrase}
    if status == 204:
        success["content"] = {}
    return {status: success, **PROBLEM_RESPONSES, **(AUDIT_UNAVAILABLE if audited else {})}


def register(app: APIGatewayHttpResolver, logger: Logger) -> None:
    """Map typed errors (and the resolver's own) to problem responses."""

    def instance() -> str:
        return app.current_event.path

    @app.exception_handler(NotFound)
    def _not_found(exc: NotFound) -> Response[str]:
        return problem(404, str(exc), instance=instance(), slug="not-found")

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response[str]:
        return problem(404, "no such route", instance=instance(), slug="not-found")

    @app.exception_handler(Conflict)
    def _conflict(exc: Conflict) -> Response[str]:
        return problem(409, str(exc), instance=instance(), slug="conflict")

    @app.exception_handler(Forbidden)
    def _forbidden(exc: Forbidden) -> Response[str]:
        return problem(403, str(exc), instance=instance(), slug="forbidden")

    @app.exception_handler(Unauthorized)
    def _unauthorized(exc: Unauthorized) -> Response[str]:
        return problem(401, str(exc), instance=instance(), slug="unauthorized")

    @app.exception_handler(LimitExceeded)
    def _limit(exc: LimitExceeded) -> Response[str]:
        return problem(429, str(exc), instance=instance(), slug="limit-exceeded")

    @app.exception_handler(InvalidCursor)
    def _cursor(exc: InvalidCursor) -> Response[str]:
        return problem(400, str(exc), instance=instance(), slug="invalid-cursor")

    @app.exception_handler(BadRequest)
    def _bad_request(exc: BadRequest) -> Response[str]:
        return problem(400, str(exc), instance=instance(), slug="bad-request")

    @app.exception_handler(InvalidPhoneNumber)
    def _phone(exc: InvalidPhoneNumber) -> Response[str]:
        return problem(422, str(exc), instance=instance(), slug="invalid-phone-number")

    @app.exception_handler(NotBaaEligible)
    def _not_baa_eligible(exc: NotBaaEligible) -> Response[str]:
        errors = [
            FieldError(loc=f"body/{role}/provider", type="not_baa_eligible",
                       msg=f"{provider} is not marked BAA-eligible (SWITCHBOARD_BAA_PROVIDERS)")
            for role, _, provider in (violation.partition(":") for violation in exc.violations)
        ]
        return problem(422, str(exc), instance=instance(), slug="not-baa-eligible", errors=errors)

    @app.exception_handler(DecimalException)
    def _unstorable_number(exc: DecimalException) -> Response[str]:
        return problem(422, "a number in the body is outside the storable range (about 1e-130 to 1e125)",
                       instance=instance(), slug="validation")

    @app.exception_handler(AuditUnavailable)
    def _audit_unavailable(exc: AuditUnavailable) -> Response[str]:
        return problem(503, str(exc), instance=instance(), slug="audit-unavailable")

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response[str]:
        errors = field_errors(exc.errors())
        if any(e.type == "json_invalid" for e in errors):
            return problem(400, "the body is not valid JSON", instance=instance(), slug="malformed-json")
        return problem(422, "the request is invalid", instance=instance(), slug="validation", errors=errors)

    @app.exception_handler(ValidationError)
    def _invalid_model(exc: ValidationError) -> Response[str]:
        errors = field_errors(exc.errors(include_input=False), prefix=("body",))
        return problem(422, "the request is invalid", instance=instance(), slug="validation", errors=errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response[str]:
        return problem(415, "send application/json", instance=instance(), slug="unsupported-media-type")

    @app.exception_handler(ProviderError)
    def _provider(exc: ProviderError) -> Response[str]:
        logger.warning("provider call failed", extra={"provider": exc.provider, "retryable": exc.retryable})
        if exc.retryable:
            return problem(502, str(exc), instance=instance(), slug="provider-unavailable")
        return problem(422, str(exc), instance=instance(), slug="provider-rejected")

    @app.exception_handler(ServiceError)
    def _service(exc: ServiceError) -> Response[str]:
        return problem(exc.status_code, str(exc.msg), instance=instance(), slug="error")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return problem(500, "internal error", instance=instance(), slug="internal")
