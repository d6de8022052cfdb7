"""The IAM statement that makes audit items immutable for the application roles.

IAM cannot be exercised offline (moto does not evaluate ``dynamodb:LeadingKeys``), so this checks the
statement's shape and evaluates its condition the way IAM does for this statement form.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from switchboard.audit import AUDIT_DENY_STATEMENT, AUDIT_KEY_PREFIX, audit_pk

# What CDK's Table.grant_read_write_data allows (aws-cdk-lib 2.x, dynamodb perms.ts READ_DATA + WRITE_DATA).
GRANT_WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def denies(statement: dict[str, Any], action: str, leading_keys: list[str]) -> bool:
    """IAM evaluation of this statement form: Deny when the action matches and any leading key matches."""
    assert statement["Effect"] == "Deny"
    if action not in statement["Action"]:
        return False
    (operator, conditions), = statement["Condition"].items()
    assert operator == "ForAnyValue:StringLike"
    patterns = conditions["dynamodb:LeadingKeys"]
    return any(fnmatch.fnmatchcase(key, pattern) for key in leading_keys for pattern in patterns)


def test_the_statement_is_valid_iam_json_with_an_explicit_deny() -> None:
    text = json.dumps(AUDIT_DENY_STATEMENT)
    assert json.loads(text) == AUDIT_DENY_STATEMENT
    assert set(AUDIT_DENY_STATEMENT) == {"Sid", "Effect", "Action", "Resource", "Condition"}
    assert AUDIT_DENY_STATEMENT["Sid"].isalnum()
    assert AUDIT_DENY_STATEMENT["Condition"] == {
        "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{AUDIT_KEY_PREFIX}*"]}
    }


@pytest.mark.parametrize("action", ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                                    "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"])
def test_every_changing_action_on_an_audit_partition_is_denied(action: str) -> None:
    assert denies(AUDIT_DENY_STATEMENT, action, [audit_pk("ten_a", datetime(2026, 11, 3, tzinfo=UTC))])


def test_appending_and_tenant_data_are_not_affected() -> None:
    assert not denies(AUDIT_DENY_STATEMENT, "dynamodb:PutItem", ["AUDIT#ten_a#2026-11"])
    for action in GRANT_WRITE_ACTIONS:
        assert not denies(AUDIT_DENY_STATEMENT, action, ["TENANT#ten_a"])
        assert not denies(AUDIT_DENY_STATEMENT, action, ["CARRIERCALL#twilio#CA1"])


def test_every_grant_action_that_can_change_an_existing_item_is_covered() -> None:
    changing = set(GRANT_WRITE_ACTIONS) - {"dynamodb:PutItem"}  # PutItem is needed to append
    assert changing <= set(AUDIT_DENY_STATEMENT["Action"])
