"""call_setup Lambda: Twilio and Telnyx webhooks (routes in :mod:`switchboard.resources`.HTTP_ROUTES)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.call_setup import twilio_routes
from functions.call_setup.services import ServiceCache
from functions.call_setup.webhook_request import Reply, WebhookRequest
from switchboard.errors import ProviderError
from switchboard.log_redaction import RedactingPowertoolsFormatter, install_redaction
from switchboard.publisher import EventPublishError

logger = Logger(logger_formatter=RedactingPowertoolsFormatter(install_redaction().policy))
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
services = ServiceCache(logger=logger)


def _request(route_path: str) -> WebhookRequest:
    return WebhookRequest.from_http_api_event(app.current_event.raw_event, route_path=route_path)


def _respond(route: str, reply: Reply) -> Response[str]:
    metrics.add_metric(name=f"Webhook_{reply.outcome}", unit=MetricUnit.Count, value=1)
    log = logger.warning if reply.status >= 400 else logger.info
    if reply.call_id:
        logger.append_keys(call_id=reply.call_id)
    log("webhook handled", extra={"route": route, "outcome": reply.outcome, "status": reply.status})
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)


@app.exception_handler(ProviderError)  # type: ignore[untyped-decorator]
def carrier_api_failed(exc: ProviderError) -> Response[str]:
    # 5xx makes the carrier retry the webhook; every step before the failed command is idempotent.
    metrics.add_metric(name="CarrierApiFailed", unit=MetricUnit.Count, value=1)
    logger.error("carrier API call failed", extra={"provider": exc.provider, "retryable": exc.retryable})
    return Response(status_code=502, content_type="text/plain", body="carrier API unavailable")


@app.exception_handler(EventPublishError)  # type: ignore[untyped-decorator]
def bus_unavailable(exc: EventPublishError) -> Response[str]:
    metrics.add_metric(name="EventPublishFailed", unit=MetricUnit.Count, value=1)
    logger.error("event not published", extra={"error_codes": list(exc.error_codes)})
    return Response(status_code=503, content_type="text/plain", body="event bus unavailable")


@app.post("/twilio/voice")
def twilio_voice() -> Response[str]:
    svc = services.get()
    reply = twilio_routes.voice(
        _request("/twilio/voice"), setup=svc.setup, config=svc.config, accounts=svc.twilio_account
    )
    return _respond("twilio_voice", reply)


@app.post("/twilio/status")
def twilio_status() -> Response[str]:
    svc = services.get()
    reply = twilio_routes.status(
        _request("/twilio/status"),
        setup=svc.setup,
        config=svc.config,
        accounts=svc.twilio_account,
        clock=svc.setup.now,
    )
    return _respond("twilio_status", reply)


@app.post("/telnyx/webhook")
def telnyx_webhook() -> Response[str]:
    reply = services.get().telnyx().handle(_request("/telnyx/webhook"))
    return _respond("telnyx_webhook", reply)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.remove_keys(["call_id"])
    return app.resolve(event, context)
