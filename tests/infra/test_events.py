"""Event bus, archive and the rule -> SQS (with DLQ) -> consumer chain built from resources.RULES."""

from __future__ import annotations

from typing import Any

import pytest

from infra.events import MAX_RECEIVE_COUNT, event_pattern
from switchboard.events import EVENT_SOURCE
from switchboard.resources import RULES

from .conftest import Synth


def test_custom_bus_with_an_archive_for_replay(dev: Synth) -> None:
    (bus_id,) = dev.of_type("AWS::Events::EventBus")
    (archive,) = dev.of_type("AWS::Events::Archive").values()
    props = archive["Properties"]
    assert props["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert props["EventPattern"] == {"source": [EVENT_SOURCE]}
    assert props["RetentionDays"] == 30


def test_each_rule_matches_exactly_the_shared_pattern_on_the_custom_bus(dev: Synth) -> None:
    (bus_id,) = dev.of_type("AWS::Events::EventBus")
    rules = [r["Properties"] for r in dev.of_type("AWS::Events::Rule").values()]
    assert len(rules) == len(RULES)
    patterns = [rule["EventPattern"] for rule in rules]
    for spec in RULES:
        assert spec.pattern in patterns
    for rule in rules:
        assert rule["EventBusName"] == {"Ref": bus_id}


def _queues(synth: Synth) -> dict[str, dict[str, Any]]:
    return {lid: q.get("Properties", {}) for lid, q in synth.of_type("AWS::SQS::Queue").items()}


def test_rule_targets_are_queues_with_dlqs_and_a_delivery_dlq(dev: Synth) -> None:
    queues = _queues(dev)
    for rule in dev.of_type("AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        queue_id = target["Arn"]["Fn::GetAtt"][0]
        redrive = queues[queue_id]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in queues
        delivery_dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        assert delivery_dlq in queues


def test_queue_policy_lets_only_the_rule_send(dev: Synth) -> None:
    rule_ids = set(dev.of_type("AWS::Events::Rule"))
    senders = []
    for policy in dev.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Principal") == {"Service": "events.amazonaws.com"}:
                assert statement["Effect"] == "Allow"
                assert "sqs:SendMessage" in statement["Action"]
                assert not any(action.startswith("sqs:Receive") or action.startswith("sqs:Delete")
                               for action in statement["Action"])
                senders.append(statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0])
    assert set(senders) == rule_ids


def test_every_queue_is_encrypted_and_ssl_only(dev: Synth) -> None:
    queues = _queues(dev)
    assert all(props.get("SqsManagedSseEnabled") is True for props in queues.values())
    ssl_only: set[str] = set()
    for policy in dev.of_type("AWS::SQS::QueuePolicy").values():
        if any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["Properties"]["PolicyDocument"]["Statement"]):
            ssl_only.update(q["Ref"] for q in policy["Properties"]["Queues"])
    assert ssl_only == set(queues)


def test_raw_patterns_convert_losslessly_and_reject_unknown_fields() -> None:
    with pytest.raises(ValueError, match="bogus"):
        event_pattern({"bogus": ["x"]})
    converted = event_pattern({"source": ["a"], "detail-type": ["b"], "detail": {"c": [1]}})
    assert (converted.source, converted.detail_type, converted.detail) == (["a"], ["b"], {"c": [1]})
