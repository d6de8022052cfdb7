"""Cost ledger totals by day and month, and the DLQ redrive script, on moto."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import boto3
import pytest

from functions.post_call.redrive import RedriveError, main, redrive
from switchboard.cost_ledger import cost_totals, record_call_cost
from switchboard.local_aws import LocalResources
from switchboard.models import CallCost, CostLine


def a_cost(telephony: float, llm: float) -> CallCost:
    return CallCost(price_table_version="v1", lines=(
        CostLine(layer="telephony", provider="twilio", model="voice", quantity=1, unit="minute", usd=telephony),
        CostLine(layer="llm", provider="openai", model="gpt-4o-mini", quantity=10, unit="token", usd=llm),
    ), total_usd=round(telephony + llm, 6))


def test_totals_per_day_and_month_are_tenant_scoped_and_count_a_rewritten_call_once(aws: LocalResources) -> None:
    table = boto3.resource("dynamodb").Table(aws.table)
    # given calls on two days of November, one in December, and another tenant's call
    record_call_cost(table, "tn_a", "c1", a_cost(0.01, 0.002), started_at=datetime(2026, 11, 3, 23, 59, tzinfo=UTC))
    record_call_cost(table, "tn_a", "c1", a_cost(0.01, 0.002), started_at=datetime(2026, 11, 3, 23, 59, tzinfo=UTC))
    record_call_cost(table, "tn_a", "c2", a_cost(0.02, 0.001), started_at=datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    record_call_cost(table, "tn_a", "c3", a_cost(0.03, 0.0), started_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    record_call_cost(table, "tn_a", "c4", a_cost(0.5, 0.5), started_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    record_call_cost(table, "tn_b", "c9", a_cost(9.0, 9.0), started_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    # when
    days = cost_totals(table, "tn_a", period="day", since=date(2026, 11, 1), until=date(2026, 11, 30))
    months = cost_totals(table, "tn_a", period="month", since=date(2026, 11, 1), until=date(2026, 12, 31))
    # then: 3 Nov = c1 (0.012) + c2 (0.021) = 0.033; 30 Nov = c3 0.03; December excluded from days
    assert [(d.period, d.calls, d.total_usd) for d in days] == [("2026-11-03", 2, 0.033), ("2026-11-30", 1, 0.03)]
    assert days[0].by_layer == {"llm": 0.003, "telephony": 0.03}
    # November = 0.033 + 0.03 = 0.063; December = 1.0
    assert [(m.period, m.calls, m.total_usd) for m in months] == [("2026-11", 3, 0.063), ("2026-12", 1, 1.0)]


def test_a_local_time_start_is_filed_under_its_utc_day(aws: LocalResources) -> None:
    from datetime import timedelta, timezone

    table = boto3.resource("dynamodb").Table(aws.table)
    pacific = timezone(timedelta(hours=-8))
    record_call_cost(table, "tn_a", "c1", a_cost(0.01, 0.0), started_at=datetime(2026, 11, 3, 20, 0, tzinfo=pacific))
    (day,) = cost_totals(table, "tn_a", period="day", since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert day.period == "2026-11-04"


def test_redrive_moves_every_dlq_message_back_to_its_source_queue(aws: LocalResources) -> None:
    sqs = boto3.client("sqs")
    dlq, source = aws.dead_letter_queues["post_call"], aws.queues["post_call"]
    for n in range(13):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"n": n}))
    moved = redrive(sqs, dlq, wait_s=0)
    assert moved == 13
    bodies = []
    while batch := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(json.loads(message["Body"])["n"])
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(bodies) == list(range(13))
    assert sqs.receive_message(QueueUrl=dlq).get("Messages", []) == []


def test_redrive_cli_honours_max(aws: LocalResources, capsys: pytest.CaptureFixture[str]) -> None:
    sqs = boto3.client("sqs")
    dlq = aws.dead_letter_queues["post_call"]
    for n in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    assert main(["--dlq-url", dlq, "--max", "2"]) == 0
    assert "moved 2 message(s)" in capsys.readouterr().out


def test_redrive_refuses_a_queue_that_is_no_ones_dlq(aws: LocalResources) -> None:
    sqs = boto3.client("sqs")
    orphan = sqs.create_queue(QueueName="orphan")["QueueUrl"]
    with pytest.raises(RedriveError):
        redrive(sqs, orphan, wait_s=0)
