"""Phone numbers: a tenant's number records plus the global claim that routes a number to one tenant.

Attaching writes both items in one transaction; the claim is conditional on
``attribute_not_exists``, so a number can belong to at most one tenant. The claim carries the
tenant and assistant ids, which call setup reads with :func:`find_number_claim`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from ..errors import Conflict, NotFound
from ..models import PhoneNumber
from ..models.phone_number import Carrier
from ._pages import Page, decode_cursor, query_page
from ._table import from_item, tenant_pk, to_item
from ._transact import TransactionCancelled, transact_write

_SK_PREFIX = "NUMBER#"
CLAIM_SK = "CLAIM"


@dataclass(frozen=True, slots=True)
class NumberClaim:
    """Who answers a number: the owning tenant and the assistant it routes to (``None``: unassigned)."""

    number: str
    tenant_id: str
    assistant_id: str | None
    carrier: Carrier


def _number_key(tenant_id: str, number: str) -> dict[str, str]:
    return {"pk": tenant_pk(tenant_id), "sk": f"{_SK_PREFIX}{number}"}


def _claim_key(number: str) -> dict[str, str]:
    return {"pk": f"NUMBER#{number}", "sk": CLAIM_SK}


def _assistant_exists(tenant_id: str, assistant_id: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "Key": {"pk": tenant_pk(tenant_id), "sk": f"ASSISTANT#{assistant_id}"},
            "ConditionExpression": "attribute_exists(pk)",
        }
    }


def attach_number(table: Any, tenant_id: str, number: PhoneNumber) -> PhoneNumber:
    """Claim *number* for the tenant.

    :class:`Conflict` if any tenant (this one included) already holds it; :class:`NotFound` if
    ``number.assistant_id`` names no assistant of this tenant.
    """
    if number.tenant_id != tenant_id:
        raise ValueError("number.tenant_id does not match tenant_id")
    claim = {
        **_claim_key(number.number),
        "number": number.number,
        "tenant_id": tenant_id,
        "assistant_id": number.assistant_id,
        "carrier": number.carrier,
    }
    operations: list[dict[str, Any]] = [
        {"Put": {"Item": claim, "ConditionExpression": "attribute_not_exists(pk)"}},
        {
            "Put": {
                "Item": to_item(number, **_number_key(tenant_id, number.number)),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    if number.assistant_id is not None:
        operations.append(_assistant_exists(tenant_id, number.assistant_id))
    try:
        transact_write(table, operations)
    except TransactionCancelled as exc:
        if exc.failed(0) or exc.failed(1):
            raise Conflict(f"{number.number} is already attached") from None
        if exc.failed(2):
            raise NotFound(f"assistant {number.assistant_id} not found") from None
        raise
    return number


def get_number(table: Any, tenant_id: str, number: str) -> PhoneNumber:
    item = table.get_item(Key=_number_key(tenant_id, number)).get("Item")
    if item is None:
        raise NotFound(f"number {number} not found")
    return from_item(PhoneNumber, item)


def route_number(table: Any, tenant_id: str, number: str, assistant_id: str | None) -> PhoneNumber:
    """Point the tenant's *number* at *assistant_id* (``None``: unassigned) on both items."""
    current = get_number(table, tenant_id, number)
    updated = current.model_copy(update={"assistant_id": assistant_id})
    operations: list[dict[str, Any]] = [
        {
            "Put": {
                "Item": to_item(updated, **_number_key(tenant_id, number)),
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
        {
            "Update": {
                "Key": _claim_key(number),
                "UpdateExpression": "SET assistant_id = :a",
                "ConditionExpression": "tenant_id = :t",
                "ExpressionAttributeValues": {":a": assistant_id, ":t": tenant_id},
            }
        },
    ]
    if assistant_id is not None:
        operations.append(_assistant_exists(tenant_id, assistant_id))
    try:
        transact_write(table, operations)
    except TransactionCancelled as exc:
        if exc.failed(2):
            raise NotFound(f"assistant {assistant_id} not found") from None
        if exc.failed(0) or exc.failed(1):
            raise NotFound(f"number {number} not found") from None
        raise
    return updated


def detach_number(table: Any, tenant_id: str, number: str) -> PhoneNumber:
    """Release the tenant's claim on *number* (the carrier keeps the number itself)."""
    current = get_number(table, tenant_id, number)
    try:
        transact_write(
            table,
            [
                {"Delete": {"Key": _number_key(tenant_id, number), "ConditionExpression": "attribute_exists(pk)"}},
                {
                    "Delete": {
                        "Key": _claim_key(number),
                        "ConditionExpression": "tenant_id = :t",
                        "ExpressionAttributeValues": {":t": tenant_id},
                    }
                },
            ],
        )
    except TransactionCancelled as exc:
        if exc.failed(0) or exc.failed(1):
            raise NotFound(f"number {number} not found") from None
        raise
    return current


def list_numbers(table: Any, tenant_id: str, *, limit: int = 50, cursor: str | None = None) -> Page[PhoneNumber]:
    pk = tenant_pk(tenant_id)
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(_SK_PREFIX)}
    start = decode_cursor(cursor, equals={"pk": pk}, prefixes={"sk": _SK_PREFIX})
    if start is not None:
        kwargs["ExclusiveStartKey"] = start
    items, next_cursor = query_page(table, kwargs, limit=limit)
    return Page(items=tuple(from_item(PhoneNumber, item) for item in items), cursor=next_cursor)


def find_number_claim(table: Any, number: str) -> NumberClaim | None:
    """The global lookup for call setup: who holds *number* (E.164), or ``None``."""
    item = table.get_item(Key=_claim_key(number)).get("Item")
    if item is None:
        return None
    assistant_id = item.get("assistant_id")
    return NumberClaim(
        number=str(item["number"]),
        tenant_id=str(item["tenant_id"]),
        assistant_id=None if assistant_id is None else str(assistant_id),
        carrier=item["carrier"],
    )
