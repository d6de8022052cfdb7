"""Issue 10: every application role that can write the table is denied changing audit entries (``AUDIT#`` keys).

The statement comes from ``switchboard.audit.AUDIT_DENY_STATEMENT`` (code and IAM cannot drift), and an
explicit Deny beats the Allow of the table grant.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.audit import AUDIT_DENY_STATEMENT, AUDIT_KEY_PREFIX

from .conftest import Synth

WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
CHANGES = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate",
           "dynamodb:PartiQLDelete"}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _statements_by_role(synth: Synth) -> dict[str, list[dict[str, Any]]]:
    by_role: dict[str, list[dict[str, Any]]] = {}
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return by_role


def _application_roles(synth: Synth) -> set[str]:
    """The five functions' roles and the media worker's task role, looked up from their resources."""
    functions = {fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in synth.of_type("AWS::Lambda::Function").values()
                 if str(fn["Properties"].get("Handler", "")).startswith("functions.")}
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    return {*functions, task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]}


def _audit_denies(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s["Effect"] == "Deny" and s.get("Sid") == AUDIT_DENY_STATEMENT["Sid"]]


def _normalised(statement: dict[str, Any]) -> dict[str, Any]:
    condition = {
        operator: {key: sorted(_as_list(values)) for key, values in keys.items()}
        for operator, keys in statement["Condition"].items()
    }
    return {"Effect": statement["Effect"], "Action": sorted(_as_list(statement["Action"])),
            "Resource": _as_list(statement["Resource"]), "Condition": condition}


def test_the_code_statement_denies_changes_to_audit_leading_keys() -> None:
    # given the statement the audit module exports / then it is a Deny of every item-changing action on AUDIT# keys
    assert AUDIT_DENY_STATEMENT["Effect"] == "Deny"
    assert set(_as_list(AUDIT_DENY_STATEMENT["Action"])) >= {"dynamodb:UpdateItem", "dynamodb:DeleteItem",
                                                             "dynamodb:BatchWriteItem"}
    assert "dynamodb:PutItem" not in _as_list(AUDIT_DENY_STATEMENT["Action"])  # appending stays allowed
    assert AUDIT_DENY_STATEMENT["Condition"] == {
        "ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{AUDIT_KEY_PREFIX}*"]}
    }


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_application_role_carries_the_audit_deny_exactly_as_the_code_defines_it(
    stage: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(stage)
    by_role = _statements_by_role(synth)
    roles = _application_roles(synth)
    assert len(roles) == 6
    for role in roles:
        denies = _audit_denies(by_role.get(role, []))
        assert len(denies) == 1, role
        assert _normalised(denies[0]) == _normalised(AUDIT_DENY_STATEMENT), role
        assert set(_as_list(denies[0]["Action"])) == CHANGES, role
        assert denies[0]["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"] == ["AUDIT#*"], role


def test_no_role_may_write_the_table_without_the_audit_deny(dev: Synth) -> None:
    # given any role in the stack (including ones added later) / when it may write items / then it has the deny
    (table_id,) = dev.of_type("AWS::DynamoDB::GlobalTable")
    writers = []
    for role, statements in _statements_by_role(dev).items():
        writes_table = any(
            statement["Effect"] == "Allow"
            and set(_as_list(statement["Action"])) & set(WRITES)
            and table_id in json.dumps(statement["Resource"])
            for statement in statements
        )
        if writes_table:
            writers.append(role)
            assert _audit_denies(statements), role
    assert len(writers) == 5  # call_setup, tool_call, post_call, admin_api and the worker (the authorizer reads)
