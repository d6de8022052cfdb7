"""IAM grants of a synthesized stack, flattened to (role, action, resource, condition) for exact assertions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .conftest import Synth

BUCKET = "<bucket>"
"""How the recordings bucket's ARN reads in a flattened resource."""

Grant = tuple[str, str, str]
"""(action, resource as text, condition as JSON)"""


def bucket_id(synth: Synth) -> str:
    (logical_id,) = [
        lid for lid, bucket in synth.of_type("AWS::S3::Bucket").items()
        if "KMSMasterKeyID" in str(bucket["Properties"].get("BucketEncryption"))
    ]
    return logical_id


def _text(value: Any, recordings: str) -> str:
    """A resource as text: the recordings bucket's ARN is ``<bucket>``, other references ``<Id>``/``<Id.Attr>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return BUCKET if (logical_id, attribute) == (recordings, "Arn") else f"<{logical_id}.{attribute}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part, recordings) for part in parts)
    return json.dumps(value, sort_keys=True)  # other intrinsics (never the bucket's objects)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def role_names(synth: Synth) -> dict[str, str]:
    """Role logical id -> runtime name (the function's folder name, or ``worker`` for the task role)."""
    names = {}
    for fn in synth.of_type("AWS::Lambda::Function").values():
        handler = fn["Properties"].get("Handler", "")
        if handler.startswith("functions."):
            names[fn["Properties"]["Role"]["Fn::GetAtt"][0]] = handler.split(".")[1]
    (task,) = synth.of_type("AWS::ECS::TaskDefinition").values()
    names[task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]] = "worker"
    return names


def grants(synth: Synth) -> Iterator[tuple[str, Grant]]:
    """(role logical id, grant) for every Allow of every IAM policy, one action and one resource at a time."""
    recordings = bucket_id(synth)
    for policy in synth.of_type("AWS::IAM::Policy").values():
        roles = [role["Ref"] for role in policy["Properties"].get("Roles", [])]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    for role in roles:
                        yield role, (action, _text(resource, recordings), condition)


def s3_grants_by_runtime(synth: Synth) -> dict[str, set[Grant]]:
    names = role_names(synth)
    found: dict[str, set[Grant]] = {}
    for role, grant in grants(synth):
        if grant[0].startswith("s3:") or grant[0] == "*":
            found.setdefault(names.get(role, role), set()).add(grant)
    return found
