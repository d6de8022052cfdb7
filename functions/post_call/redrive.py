"""Move messages from a dead-letter queue back to its source queue (the local twin of SQS redrive).

On AWS, prefer the managed move task (see docs/redrive.md)::

    aws sqs start-message-move-task --source-arn <post_call DLQ arn>

Locally (moto, or any account where the managed task is unavailable)::

    python -m functions.post_call.redrive --dlq-url <url> [--source-url <url>] [--max N]

Each message is sent to the source queue with its body and attributes, then deleted from the
DLQ, so an interruption can duplicate a message but never lose one (post_call is idempotent).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3


class RedriveError(Exception):
    pass


def source_queue_of(sqs: Any, dlq_url: str) -> str:
    """The one queue whose redrive policy targets *dlq_url*."""
    urls = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(urls) != 1:
        raise RedriveError(f"expected one source queue for the DLQ, found {len(urls)}; pass --source-url")
    return str(urls[0])


def redrive(
    sqs: Any,
    dlq_url: str,
    *,
    source_url: str | None = None,
    max_messages: int | None = None,
    wait_s: int = 1,
    empty_receives: int = 2,
) -> int:
    """Move up to *max_messages* (all by default) from *dlq_url* to *source_url*; return how many moved."""
    target = source_url or source_queue_of(sqs, dlq_url)
    moved, empty = 0, 0
    while max_messages is None or moved < max_messages:
        batch = min(10, max_messages - moved) if max_messages is not None else 10
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=batch, WaitTimeSeconds=wait_s, VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            empty += 1
            if empty >= empty_receives:
                break
            continue
        empty = 0
        for message in messages:
            kwargs: dict[str, Any] = {"QueueUrl": target, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                kwargs["MessageAttributes"] = message["MessageAttributes"]
            sqs.send_message(**kwargs)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dlq-url", required=True)
    parser.add_argument("--source-url", help="default: the queue whose redrive policy names the DLQ")
    parser.add_argument("--max", type=int, dest="max_messages")
    args = parser.parse_args(argv)
    moved = redrive(boto3.client("sqs"), args.dlq_url, source_url=args.source_url, max_messages=args.max_messages)
    print(f"moved {moved} message(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
