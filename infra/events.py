"""The event bus, its archive, and one rule -> SQS queue (with DLQ) per ``switchboard.resources.RULES`` entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from switchboard.events import EVENT_SOURCE
from switchboard.resources import RULES, RuleSpec

MAX_RECEIVE_COUNT = 5
"""A message that fails this many times moves to the consumer queue's dead-letter queue."""

_PATTERN_FIELDS = {
    "source": "source",
    "detail-type": "detail_type",
    "detail": "detail",
    "account": "account",
    "region": "region",
    "resources": "resources",
    "id": "id",
    "time": "time",
    "version": "version",
}


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """Turns a raw EventBridge pattern (as written in ``RuleSpec.pattern``) into the CDK type, losslessly."""
    unknown = set(pattern) - set(_PATTERN_FIELDS)
    if unknown:
        raise ValueError(f"unsupported event pattern fields: {sorted(unknown)}")
    return events.EventPattern(**{_PATTERN_FIELDS[key]: value for key, value in pattern.items()})


def _queue(scope: Construct, queue_id: str, **kwargs: Any) -> sqs.Queue:
    return sqs.Queue(scope, queue_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **kwargs)


class EventBus(Construct):
    """Attributes:
    bus: the custom event bus every producer puts ``switchboard`` events on.
    archive: keeps the bus's events for replay.
    rules / queues / dead_letter_queues: keyed by ``RuleSpec.name``.
    delivery_dead_letter_queue: events EventBridge could not deliver to a target queue.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        archive_retention: Duration,
        queue_visibility_timeout: Duration,
        rule_specs: tuple[RuleSpec, ...] = RULES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus")
        self.archive = self.bus.archive(
            "Archive",
            description="All Switchboard events, for replay",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE]),
            retention=archive_retention,
        )
        self.delivery_dead_letter_queue = _queue(self, "DeliveryDeadLetterQueue", retention_period=Duration.days(14))

        self.rules: dict[str, events.Rule] = {}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in rule_specs:
            dead_letters = _queue(self, f"{spec.name}DeadLetterQueue", retention_period=Duration.days(14))
            queue = _queue(
                self,
                f"{spec.name}Queue",
                visibility_timeout=queue_visibility_timeout,
                retention_period=Duration.days(4),
                dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=MAX_RECEIVE_COUNT),
            )
            rule = events.Rule(
                self,
                f"{spec.name}Rule",
                event_bus=self.bus,
                description=spec.description or None,
                event_pattern=event_pattern(spec.pattern),
            )
            rule.add_target(
                targets.SqsQueue(
                    queue,
                    dead_letter_queue=self.delivery_dead_letter_queue,
                    retry_attempts=8,
                    max_event_age=Duration.hours(4),
                )
            )
            self.rules[spec.name] = rule
            self.queues[spec.name] = queue
            self.dead_letter_queues[spec.name] = dead_letters

    @property
    def all_dead_letter_queues(self) -> dict[str, sqs.IQueue]:
        """Every DLQ owned by the bus, keyed by a stable name (for alarms)."""
        found: dict[str, sqs.IQueue] = {"EventDelivery": self.delivery_dead_letter_queue}
        found.update(self.dead_letter_queues)
        return found
