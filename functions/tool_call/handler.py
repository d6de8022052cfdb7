"""tool_call Lambda: ``POST /tools/invoke`` (IAM-authorised; the media worker signs with SigV4).

Body: :class:`~.request.ToolCallRequest`. Answer: ``{"outcome", "content", "latency_ms"}`` with
200 for every tool outcome (a failing tool is a result the LLM recovers from, not an HTTP error);
400 only for a malformed request.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from switchboard.log_redaction import RedactingPowertoolsFormatter, install_redaction

from .request import ToolCallRequest
from .services import ServiceCache

logger = Logger(service="tool_call", logger_formatter=RedactingPowertoolsFormatter(install_redaction().policy))
tracer = Tracer(service="tool_call")
metrics = Metrics(namespace="Switchboard", service="tool_call")
app = APIGatewayHttpResolver()
services = ServiceCache(logger=logger)


def _json(status: int, document: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(document))


@app.post("/tools/invoke")
def invoke_tool() -> Response[str]:
    try:
        request = ToolCallRequest.from_wire(app.current_event.decoded_body or "")
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors(include_url=False)})
        logger.warning("malformed tool request", extra={"fields": fields})
        metrics.add_metric(name="ToolRequestMalformed", unit=MetricUnit.Count, value=1)
        return _json(400, {"error": "malformed tool request", "fields": fields})
    logger.append_keys(call_id=request.call_id, tenant_id=request.tenant_id, tool=request.tool_name)
    result = services.runner().run(request)
    metrics.add_metric(name=f"ToolOutcome_{result.outcome}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ToolLatencyMs", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    log = logger.info if result.outcome == "ok" else logger.warning
    log("tool invoked", extra={"outcome": result.outcome, "latency_ms": round(result.latency_ms, 1),
                               "status": result.status, "reason": result.note})  # fmt: skip
    return _json(200, result.to_wire())


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
