"""post_call Lambda: an SQS batch of EventBridge ``call.ended`` envelopes, with partial batch failures.

A record fails (and SQS redelivers it, then moves it to the DLQ after ``maxReceiveCount``)
when its event is invalid or a step raised; the other records of the batch are unaffected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.post_call.services import post_call_service
from switchboard.events import CallEnded, parse_event
from switchboard.log_redaction import LogRedaction, RedactingPowertoolsFormatter, RedactionFilter, install_redaction

log_redaction = LogRedaction()
logger = Logger(service="post_call", logger_formatter=RedactingPowertoolsFormatter(log_redaction))
install_redaction(log_redaction)  # std-logging modules (pipeline, analyzer, CRM retries) through the root handlers
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
"""A batch whose records all failed is reported record by record too (not raised), like any other."""


@contextmanager
def hipaa_log_scope(call_id: str) -> Iterator[None]:
    """The call's lines keep no bodies, under this module's policy and any other redaction filter's on the
    root handlers (a process that hosts several handlers, such as the local stack, has one per handler)."""
    policies = {id(log_redaction): log_redaction}
    for root_handler in logging.getLogger().handlers:
        for found in root_handler.filters:
            if isinstance(found, RedactionFilter):
                policies.setdefault(id(found.policy), found.policy)
    with ExitStack() as stack:
        for policy in policies.values():
            stack.enter_context(policy.hipaa_call(call_id))
        yield


def record_handler(record: SQSRecord) -> None:
    envelope = json.loads(record.body)
    event = parse_event(envelope["detail"])
    if not isinstance(event, CallEnded):
        logger.warning("ignoring an event post_call does not consume", extra={"type": event.type})
        return
    logger.append_keys(call_id=event.call_id, tenant_id=event.tenant_id)
    receive_count = int(record.attributes.approximate_receive_count or 1)
    post_call_service().handle(event, receive_count=receive_count, hipaa_log_scope=hipaa_log_scope)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    install_redaction(log_redaction)  # idempotent; covers root handlers added after import
    post_call_service().idempotency.register_lambda_context(context)
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    return dict(response)
