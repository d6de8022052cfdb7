"""Base classes and field types shared by every contract model."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

E164_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_e164(value: str) -> str:
    if not E164_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not an E.164 number such as +14155550123")
    return value


E164 = Annotated[str, AfterValidator(_check_e164)]
"""A phone number in E.164 form: a plus sign, then 7 to 15 digits."""

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
"""An opaque id: letters, digits and ``_ . : -``."""

JsonScalar = str | int | float | bool | None


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class Contract(BaseModel):
    """A strict, immutable model: unknown fields and type coercion are errors.

    Strictness applies to Python input. Wire input (JSON, DynamoDB items,
    EventBridge ``detail``) goes through :meth:`from_wire`, which validates the
    JSON form, where ISO timestamps and enum strings are the native spelling.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, str_strip_whitespace=False)

    @classmethod
    def from_wire(cls, data: dict[str, Any] | str | bytes) -> Self:
        text = data if isinstance(data, (str, bytes)) else json.dumps(data, default=_json_default)
        return cls.model_validate_json(text)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
