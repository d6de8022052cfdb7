"""Dashboard (latency p50/p95, active calls, Lambda errors) and alarms on every DLQ and on p95 latency."""

from __future__ import annotations

import json
from typing import Any

from switchboard.resources import METRIC_ACTIVE_CALLS, METRIC_NAMESPACE, METRIC_VOICE_TO_VOICE_MS, RULES

from .conftest import Synth


def _dead_letter_queue_ids(synth: Synth) -> set[str]:
    """Every queue something dead-letters into: SQS redrive targets, Lambda on-failure, EventBridge target DLQs."""
    found = set()
    for queue in synth.of_type("AWS::SQS::Queue").values():
        redrive = queue.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            found.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
    for config in synth.of_type("AWS::Lambda::EventInvokeConfig").values():
        found.add(config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0])
    for rule in synth.of_type("AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            found.add(target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
    return found


def _alarms(synth: Synth) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()]


def test_every_dead_letter_queue_has_a_depth_alarm(dev: Synth) -> None:
    dead_letter_queues = _dead_letter_queue_ids(dev)
    watched = {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in _alarms(dev)
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        for dimension in alarm["Dimensions"]
        if dimension["Name"] == "QueueName"
    }
    assert len(dead_letter_queues) == 1 + len(RULES)  # EventBridge delivery + one per rule queue
    assert watched == dead_letter_queues
    for alarm in _alarms(dev):
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_p95_voice_to_voice_latency_alarm_uses_the_stage_threshold(dev: Synth, dev_stage: dict[str, Any]) -> None:
    (latency,) = [a for a in _alarms(dev) if a.get("MetricName") == METRIC_VOICE_TO_VOICE_MS]
    assert latency["Namespace"] == METRIC_NAMESPACE
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["Dimensions"] == [{"Name": "Stage", "Value": "dev"}]
    assert latency["Threshold"] == dev_stage["voice_to_voice_p95_alarm_ms"]
    assert latency["ComparisonOperator"] == "GreaterThanThreshold"


def test_every_alarm_notifies_the_encrypted_alarm_topic(dev: Synth) -> None:
    (topic_id,) = dev.of_type("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in dev.resources[topic_id]["Properties"]
    for alarm in _alarms(dev):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_dashboard_shows_latency_percentiles_active_calls_and_lambda_errors(dev: Synth) -> None:
    (dashboard,) = dev.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for needle in (METRIC_VOICE_TO_VOICE_MS, '\\"stat\\":\\"p50\\"', '\\"stat\\":\\"p95\\"', METRIC_ACTIVE_CALLS,
                   '\\"Stage\\",\\"dev\\"', '\\"AWS/Lambda\\",\\"Errors\\"'):
        assert needle in body, needle


def test_missing_active_calls_samples_raise_an_alarm(dev: Synth) -> None:
    # given autoscaling on the worker's EMF ActiveCalls / then no samples for 3 minutes (missing data breaches) alarms
    (missing,) = [a for a in _alarms(dev) if a.get("MetricName") == METRIC_ACTIVE_CALLS]
    assert (missing["Namespace"], missing["Statistic"]) == (METRIC_NAMESPACE, "SampleCount")
    assert missing["Dimensions"] == [{"Name": "Stage", "Value": "dev"}]
    assert (missing["Threshold"], missing["ComparisonOperator"]) == (1, "LessThanThreshold")
    assert (missing["EvaluationPeriods"], missing["Period"]) == (3, 60)
    assert missing["TreatMissingData"] == "breaching"
