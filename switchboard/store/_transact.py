"""TransactWriteItems over the Table resource, with Python values and typed cancellation reasons."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class TransactionCancelled(Exception):
    """The transaction lost; ``reasons[i]`` is the cancellation code of operation *i* (``"None"`` if it passed)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def _with_table(operation: dict[str, Any], table_name: str) -> dict[str, Any]:
    ((kind, body),) = operation.items()
    return {kind: {"TableName": table_name, **body}}


def transact_write(table: Any, operations: list[dict[str, Any]]) -> None:
    """Run *operations* (``{"Put"|"Update"|"Delete"|"ConditionCheck": {...}}`` with plain values) atomically."""
    # The resource's client serialises plain Python values itself (boto3's transformation injector).
    client = table.meta.client
    try:
        client.transact_write_items(TransactItems=[_with_table(op, table.name) for op in operations])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        raise TransactionCancelled(reasons) from None


def is_conditional_failure(exc: ClientError) -> bool:
    """Whether a single-item write lost its ``ConditionExpression``."""
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
