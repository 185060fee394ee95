"""Pydantic bases for generated proto messages, value objects and domain events.

Generated fields whose proto3 JSON name differs from the attribute declare
``Field(validation_alias=AliasChoices(json_name, proto_name),
serialization_alias=json_name)``: parsers accept both names and output uses
the JSON name, as the proto3 JSON mapping asks.
This module must not hold any persistence or transport logic.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)

#: Validation context that makes messages drop fields they do not declare, as
#: protobuf's ``json_format.Parse(..., ignore_unknown_fields=True)`` does. The
#: SDK reads responses and the repository reads stored events with it, so a
#: newer service or an older event with more fields still parses.
IGNORE_UNKNOWN_FIELDS: Mapping[str, bool] = {"ignore_unknown_fields": True}


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


class ProtoEnum(enum.StrEnum):
    """Base of generated proto enums: members are the value names (proto3 JSON writes names).

    A generated enum declares ``__proto_numbers__`` (proto value name →
    number, aliases included); an alias is a Python alias of the first name
    with its number, so it reads as that name and is written as it, like
    protobuf. Besides names, a value may be given by number, as the proto3
    JSON mapping allows (``1`` or ``"1"``; protobuf's Python parser also
    takes what ``int()`` takes, e.g. ``1.0``). Numbers no value has are
    refused, for open (proto3) enums too: a member cannot hold them.
    """

    __proto_numbers__: ClassVar[Mapping[str, int]] = {}

    @classmethod
    def _missing_(cls, value: object) -> ProtoEnum | None:
        numbers = cls.__proto_numbers__
        if isinstance(value, str) and value in numbers:
            number = numbers[value]
        else:
            try:
                number = int(value)  # type: ignore[call-overload]
            except (TypeError, ValueError, OverflowError):
                return None
        for name, candidate in numbers.items():
            if candidate == number and name in cls._value2member_map_:
                return cls(name)
        return None


class Message(BaseModel):
    """Base of every generated proto message: the proto3 JSON mapping, as protobuf parses it.

    Accepts a field by its proto name or its JSON name (both given: the later
    one wins, as in protobuf's parser), serialises by JSON name, and refuses
    fields it does not declare (``json_format.Parse`` with
    ``ignore_unknown_fields=False``) unless validated with the
    ``IGNORE_UNKNOWN_FIELDS`` context. A JSON ``null`` resets a field to its
    default (a ``google.protobuf.Value`` field keeps it as ``None``). A field
    that is None and was never set is left out of the output, as proto3 JSON
    omits unset fields; one set to None explicitly is written as ``null``.
    Non-finite floats are written ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        ser_json_inf_nan="strings",
        validate_assignment=False,
        extra="forbid",
    )

    @classmethod
    def _input_names(cls) -> dict[str, str]:
        """Return every name a field may be given by (Python, proto and JSON names) → the field's Python name."""
        names = cls.__dict__.get("_potter_input_names")
        if names is None:
            names = {}
            for name, field in cls.model_fields.items():
                names[name] = name
                alias = field.validation_alias
                choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
                for choice in choices:
                    if isinstance(choice, str):
                        names[choice] = name
            setattr(cls, "_potter_input_names", names)
        return names

    @model_validator(mode="before")
    @classmethod
    def _read_proto_json(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        names = cls._input_names()
        ignore_unknown = bool(info.context and info.context.get("ignore_unknown_fields"))
        last_key: dict[str, str] = {}
        for key in data:
            if key in names:
                last_key[names[key]] = key
        result = {}
        for key, value in data.items():
            name = names.get(key)
            if name is None:
                if not ignore_unknown:
                    result[key] = value  # refused by extra="forbid", with its own location
                continue
            if last_key[name] != key:
                continue  # the same field under another name, later in the object
            if value is None:
                field = cls.model_fields[name]
                if not any(isinstance(m, _KeepsNull) for m in field.metadata):
                    value = field.get_default(call_default_factory=True)
            result[key] = value
        return result

    # No return annotation on purpose: pydantic would take it as the output's
    # JSON schema, and OpenAPI documents must keep the model's own schema.
    @model_serializer(mode="wrap")
    def _omit_unset_fields(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        if isinstance(data, dict):
            for name, field in type(self).model_fields.items():
                if name not in self.model_fields_set and getattr(self, name) is None:
                    data.pop(field.serialization_alias or name, None)
                    data.pop(name, None)
        return data


class _KeepsNull:
    """Marks a field whose JSON ``null`` is a value (``google.protobuf.Value``), not a reset."""


Value = Annotated[Any, _KeepsNull()]
"""A ``google.protobuf.Value``: any JSON value; ``null`` is kept as ``None``."""


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
