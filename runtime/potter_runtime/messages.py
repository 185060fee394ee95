"""Pydantic bases for generated proto messages, value objects and domain events.

Generated fields whose proto3 JSON name differs from the attribute declare
``Field(validation_alias=AliasChoices(json_name, proto_name),
serialization_alias=json_name)``: parsers accept both names and output uses
the JSON name, as the proto3 JSON mapping asks.
This module must not hold any persistence or transport logic.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic.fields import FieldInfo


def _int_from_json(value: object) -> object:
    """Accept a 64-bit integer as a JSON string ("123") or number, as proto3 JSON parsers do."""
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value  # left for pydantic to reject with its own message
    return value


Int64 = Annotated[
    int,
    BeforeValidator(_int_from_json),
    PlainSerializer(str, return_type=str, when_used="json"),
]
"""A proto 64-bit integer (int64, uint64, sint64, fixed64, sfixed64): a decimal
string in JSON, as the proto3 JSON mapping asks; a plain ``int`` in Python."""


_DURATION = re.compile(r"^(-)?(\d+)(?:\.(\d{1,9}))?s$")


def _duration_from_json(value: object) -> object:
    """Accept a proto3 JSON duration ("1.5s", "-0.000001s"); other values are left to pydantic.

    Digits past microseconds are dropped: `datetime.timedelta` holds microseconds.
    """
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            sign, seconds, fraction = match.groups()
            micros = int(seconds) * 1_000_000 + int((fraction or "").ljust(9, "0")[:6])
            return datetime.timedelta(microseconds=-micros if sign else micros)
    return value


def _duration_to_json(value: datetime.timedelta) -> str:
    """Write a duration as proto3 JSON does: seconds with 0, 3 or 6 fractional digits and an "s"."""
    micros = value // datetime.timedelta(microseconds=1)
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    seconds, fraction = divmod(micros, 1_000_000)
    if fraction == 0:
        return f"{sign}{seconds}s"
    if fraction % 1000 == 0:
        return f"{sign}{seconds}.{fraction // 1000:03d}s"
    return f"{sign}{seconds}.{fraction:06d}s"


Duration = Annotated[
    datetime.timedelta,
    BeforeValidator(_duration_from_json),
    PlainSerializer(_duration_to_json, return_type=str, when_used="json"),
]
"""A ``google.protobuf.Duration``: ``"1.5s"`` in JSON, as the proto3 JSON mapping
asks; a ``datetime.timedelta`` (microsecond precision) in Python."""


def check_oneof(message: BaseModel, oneof: str, fields: Sequence[str]) -> None:
    """Raise ValueError when more than one field of a proto ``oneof`` is set.

    A field counts as set when it is not None (oneof members are generated
    with presence: ``T | None = None``). Used by generated model validators.

    Raises:
        ValueError: two or more of ``fields`` are set; names them and the oneof.
    """
    chosen = [name for name in fields if getattr(message, name) is not None]
    if len(chosen) > 1:
        raise ValueError(f"at most one of {', '.join(fields)} may be set (oneof {oneof}); got {', '.join(chosen)}")


class Message(BaseModel):
    """Base of every generated proto message.

    Accepts fields by Python name or proto JSON name, serialises by JSON name,
    and ignores unknown fields (proto3 forward compatibility). Output is what
    protobuf's `json_format.MessageToDict` writes for what was read: a field
    never set that holds None or its default (`""`, 0, false, empty, the
    first enum value) is left out, as proto3 JSON omits unset fields; one
    set explicitly is written (a JSON `null` read for a
    `google.protobuf.Value`, a proto2 `required` field holding `""`). bytes
    are standard base64 and Timestamps carry 0, 3, 6 or 9 fraction digits.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        validate_assignment=False,
        extra="ignore",
    )

    # No return annotation on purpose: pydantic would take it as the output's
    # JSON schema, and OpenAPI documents must keep the model's own schema.
    @model_serializer(mode="wrap")
    def _proto3_json(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        data = handler(self)
        if isinstance(data, dict):
            for name, field in type(self).model_fields.items():
                value = getattr(self, name)
                key = field.serialization_alias if field.serialization_alias in data else name
                if name not in self.model_fields_set and (value is None or _holds_default(field, value)):
                    data.pop(key, None)
                elif info.mode_is_json() and key in data:
                    data[key] = _json_value(value, data[key])
        return data


def _holds_default(field: FieldInfo, value: Any) -> bool:
    """Tell whether a field never set still holds its default (a list default may have been appended to)."""
    default = field.get_default(call_default_factory=True)
    return type(value) is type(default) and bool(value == default)


def _json_value(value: Any, written: Any) -> Any:
    """Return protobuf's JSON form of `value` where pydantic's (`written`) differs.

    bytes: standard base64 (pydantic writes the URL-safe alphabet); a
    Timestamp: RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits (proto3
    JSON mapping, as `json_format` writes it). Repeated and map values
    element by element.
    """
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        return _timestamp_text(value)
    if isinstance(value, list) and isinstance(written, list):
        return [_json_value(v, w) for v, w in zip(value, written, strict=True)]
    if isinstance(value, dict) and isinstance(written, dict):
        return {key: _json_value(v, w) for v, (key, w) in zip(value.values(), written.items(), strict=True)}
    return written


def _timestamp_text(value: datetime.datetime) -> str:
    utc = value.astimezone(datetime.UTC) if value.tzinfo is not None else value
    text = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    if utc.microsecond:
        fraction = f".{utc.microsecond:06d}"
        text += fraction[:4] if utc.microsecond % 1000 == 0 else fraction
    return text + "Z"


class ValueObject(Message):
    """Immutable message compared by value (proto ``value_object`` option)."""

    model_config = ConfigDict(frozen=True)


class DomainEvent(Message):
    """Immutable fact recorded by an aggregate.

    Attributes:
        event_type: Envelope type stored with the event (str), e.g. ``"item.created"``.
        event_version: Schema version of the payload (int, starts at 1).
        aggregate_type: Name of the owning aggregate (str).
    """

    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = ""
