"""Assistants: create, read, replace, delete and list (paginated) within one tenant."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ..errors import Conflict, NotFound
from ..models import Assistant
from ._pages import Page, decode_cursor, query_page
from ._table import from_item, tenant_pk, to_item
from ._transact import is_conditional_failure

_SK_PREFIX = "ASSISTANT#"


def _sk(assistant_id: str) -> str:
    return f"{_SK_PREFIX}{assistant_id}"



def _check_owner(tenant_id: str, assistant: Assistant) -> None:
    if assistant.tenant_id != tenant_id:
        raise ValueError("assistant.tenant_id does not match tenant_id")


def create_assistant(table: Any, tenant_id: str, assistant: Assistant) -> Assistant:
    """Store a new assistant; :class:`Conflict` if its id is taken."""
    _check_owner(tenant_id, assistant)
    item = to_item(assistant, pk=tenant_pk(tenant_id), sk=_sk(assistant.assistant_id))
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise Conflict(f"assistant {assistant.assistant_id} already exists") from None
        raise
    return assistant


def get_assistant(table: Any, tenant_id: str, assistant_id: str) -> Assistant:
    item = table.get_item(Key={"pk": tenant_pk(tenant_id), "sk": _sk(assistant_id)}).get("Item")
    if item is None:
        raise NotFound(f"assistant {assistant_id} not found")
    return from_item(Assistant, item)


def replace_assistant(table: Any, tenant_id: str, assistant: Assistant) -> Assistant:
    """Overwrite an existing assistant (:class:`NotFound` if it does not exist)."""
    _check_owner(tenant_id, assistant)
    item = to_item(assistant, pk=tenant_pk(tenant_id), sk=_sk(assistant.assistant_id))
    try:
        table.put_item(Item=item, ConditionExpression="attribute_exists(pk)")
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise NotFound(f"assistant {assistant.assistant_id} not found") from None
        raise
    return assistant


def delete_assistant(table: Any, tenant_id: str, assistant_id: str) -> None:
    """Delete an assistant. :class:`Conflict` while a phone number still routes to it."""
    routed = table.query(
        KeyConditionExpression=Key("pk").eq(tenant_pk(tenant_id)) & Key("sk").begins_with("NUMBER#"),
        FilterExpression=Attr("assistant_id").eq(assistant_id),
        ProjectionExpression="#n",
        ExpressionAttributeNames={"#n": "number"},
    ).get("Items", [])
    if routed:
        numbers = ", ".join(sorted(str(item["number"]) for item in routed))
        raise Conflict(f"assistant {assistant_id} still answers {numbers}; route those numbers elsewhere first")
    try:
        table.delete_item(
            Key={"pk": tenant_pk(tenant_id), "sk": _sk(assistant_id)}, ConditionExpression="attribute_exists(pk)"
        )
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise NotFound(f"assistant {assistant_id} not found") from None
        raise


def list_assistants(table: Any, tenant_id: str, *, limit: int = 50, cursor: str | None = None) -> Page[Assistant]:
    """One page of the tenant's assistants, ordered by id."""
    pk = tenant_pk(tenant_id)
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(_SK_PREFIX)}
    start = decode_cursor(cursor, equals={"pk": pk}, prefixes={"sk": _SK_PREFIX})
    if start is not None:
        kwargs["ExclusiveStartKey"] = start
    items, next_cursor = query_page(table, kwargs, limit=limit)
    return Page(items=tuple(from_item(Assistant, item) for item in items), cursor=next_cursor)
