"""The admin API Lambda: tenants, assistants, numbers, calls, credentials, GDPR erasure, audit and costs.

Behind API Gateway's HTTP API; ``/v1/*`` passes the API-key authorizer first, and the tenant id
comes from its context. Every error is ``application/problem+json`` (:mod:`.problems`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from switchboard.log_redaction import LogRedaction, RedactingPowertoolsFormatter, install_redaction

from . import (
    problems,
    routes_assistants,
    routes_audit,
    routes_calls,
    routes_costs,
    routes_credentials,
    routes_gdpr,
    routes_numbers,
    routes_tenants,
)

OPENAPI_PATH = "/v1/openapi.json"
TITLE = "Switchboard admin API"
VERSION = "1.0.0"

log_redaction = LogRedaction()
logger = Logger(service="admin_api", logger_formatter=RedactingPowertoolsFormatter(log_redaction))
install_redaction(log_redaction)  # std-logging modules (audit trail, CRM retries) through the root handlers
tracer = Tracer(service="admin_api")
metrics = Metrics(namespace="Switchboard", service="admin_api")

app = APIGatewayHttpResolver(enable_validation=True)
for module in (routes_tenants, routes_assistants, routes_numbers, routes_calls, routes_gdpr, routes_credentials,
               routes_audit, routes_costs):
    app.include_router(module.router)
problems.register(app, logger)


def openapi_document() -> str:
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="Configure voice assistants, phone numbers and calls. Errors are RFC 9457 problem details.",
        servers=[Server(url="/")],
        security_schemes={"bearer": HTTPBearer(description="tenant API key (sk_...) or operator key")},
        security=[{"bearer": []}],
    )


@app.get(OPENAPI_PATH, include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    install_redaction(log_redaction)  # idempotent; covers root handlers added after import
    metrics.add_metric(name="AdminApiRequests", unit=MetricUnit.Count, value=1)
    return app.resolve(event, context)
