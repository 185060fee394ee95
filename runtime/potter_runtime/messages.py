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
import enum
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)

# Field value types of generated models (proto3 JSON mapping), imported from here.
from potter_runtime.proto_json import (
    AnyMessage,
    Bool,
    Bytes,
    Double,
    Duration,
    EmptyValue,
    FieldMask,
    Float,
    Int32,
    Int64,
    Timestamp,
    UInt32,
    UInt64,
)

__all__ = [
    "IGNORE_UNKNOWN_FIELDS",
    "AnyMessage",
    "Bool",
    "Bytes",
    "DomainEvent",
    "Double",
    "Duration",
    "EmptyValue",
    "FieldMask",
    "Float",
    "Int32",
    "Int64",
    "Message",
    "ProtoEnum",
    "Timestamp",
    "UInt32",
    "UInt64",
    "ValueObject",
    "check_oneof",
]

#: Validation context that makes messages drop fields they do not declare, as
#: protobuf's ``json_format.Parse(..., ignore_unknown_fields=True)`` does. The
#: SDK reads responses and the repository reads stored events with it, so a
#: newer service or an older event with more fields still parses.
IGNORE_UNKNOWN_FIELDS: Mapping[str, bool] = {"ignore_unknown_fields": True}

#: ``IGNORE_UNKNOWN_FIELDS`` for JSON this service stored itself from validated
#: messages (state rows, read-model documents): the unpaired-surrogate check is
#: skipped, as no such text got in (validation refuses it; jsonb cannot hold it).
STORED_JSON: Mapping[str, bool] = {"ignore_unknown_fields": True, "stored": True}


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


#: A UTF-16 surrogate code point (U+D800–U+DFFF); a str decoded from JSON holds one only when it was unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_unpaired_surrogate(value: object) -> bool:
    """Tell whether a decoded JSON value holds a lone surrogate code point in any string (keys included)."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_unpaired_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_unpaired_surrogate(k) or _has_unpaired_surrogate(v) for k, v in value.items())
    return False


#: Per message class: every name a field may be given by → its Python name (built on first use).
_INPUT_NAMES: dict[type[BaseModel], dict[str, str]] = {}


class Message(BaseModel):
    """Base of every generated proto message: the proto3 JSON mapping, as protobuf parses it.

    Accepts a field by its proto name or its JSON name (both given: the later
    one wins, as in protobuf's parser), serialises by JSON name, and refuses
    fields it does not declare (``json_format.Parse`` with
    ``ignore_unknown_fields=False``) unless validated with the
    ``IGNORE_UNKNOWN_FIELDS`` context. A JSON ``null`` sets a field to its
    default, as protobuf reads it (for a ``google.protobuf.Value`` field, None
    is also its null value); the field still counts as present. Output is
    what protobuf's ``json_format.MessageToDict`` writes for what was read: a
    field never set that holds None or its default (``""``, 0, false, empty,
    the first enum value) is left out, as proto3 JSON omits unset fields; one
    set explicitly is written (a JSON ``null`` read for a
    ``google.protobuf.Value``, a proto2 ``required`` field holding ``""``).
    bytes are standard base64, Timestamps carry 0, 3, 6 or 9 fraction digits,
    non-finite floats are written ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.
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
        names = _INPUT_NAMES.get(cls)
        if names is None:
            names = {}
            for name, field in cls.model_fields.items():
                names[name] = name
                alias = field.validation_alias
                choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
                for choice in choices:
                    if isinstance(choice, str):
                        names[choice] = name
            _INPUT_NAMES[cls] = names
        return names

    @model_validator(mode="before")
    @classmethod
    def _read_proto_json(cls, data: Any, info: ValidationInfo) -> Any:
        context = info.context
        stored = bool(context and context.get("stored"))
        if stored and type(data) is dict and data.keys() <= cls._input_names().keys() and None not in data.values():
            return data  # written by this serializer: each field once, no null, no name it does not know
        if data == [] or data == "":
            return {}  # protobuf's Python parser reads any empty iterable, [] or "", as an empty message
        if not isinstance(data, dict):
            return data
        names = cls._input_names()
        ignore_unknown = bool(context and context.get("ignore_unknown_fields"))
        last_key: dict[str, str] = {}
        for key in data:
            if key in names:
                last_key[names[key]] = key
        result = {}
        for key, value in data.items():
            if not stored and (_has_unpaired_surrogate(key) or _has_unpaired_surrogate(value)):
                # JSON text may escape half a UTF-16 pair ("\ud800"); protobuf refuses it, UTF-8 cannot hold it.
                raise ValueError(f"field {key!r} holds text with an unpaired UTF-16 surrogate")
            name = names.get(key)
            if name is None:
                if not ignore_unknown:
                    result[key] = value  # refused by extra="forbid", with its own location
                continue
            if last_key[name] != key:
                continue  # the same field under another name, later in the object
            if value is None:
                # proto3 JSON: null is the default value. The field stays present (JSON merge patch, AIP-134).
                value = cls.model_fields[name].get_default(call_default_factory=True)
            result[key] = value
        return result

    # No return annotation on purpose: pydantic would take it as the output's
    # JSON schema, and OpenAPI documents must keep the model's own schema.
    @model_serializer(mode="wrap")
    def _proto3_json(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        data = handler(self)
        if isinstance(data, dict):
            fields = _output_fields(type(self))
            for name in fields.names - self.model_fields_set:
                alias, default = fields.unset[name]
                value = getattr(self, name)
                if value is None or (type(value) is type(default) and bool(value == default)):
                    data.pop(alias if alias in data else name, None)  # never set and still its default
            if info.mode_is_json():
                for name, alias in fields.rewritable:
                    key = alias if alias in data else name
                    value = getattr(self, name)
                    if key in data and isinstance(value, _REWRITTEN):  # a list default may have been appended to
                        data[key] = _json_value(value, data[key])
        return data


#: Value types whose JSON form ``_json_value`` may rewrite; any other is written as pydantic wrote it.
_REWRITTEN = (bytes, datetime.datetime, list, dict)


@dataclass(frozen=True)
class _OutputFields:
    """What the serializer of one message class needs, computed once per class.

    Attributes:
        names: Every field's Python name.
        unset: Python name → (serialization alias or None, default value).
        rewritable: (Python name, alias) of the fields whose value may be of a ``_REWRITTEN`` type.
    """

    names: frozenset[str]
    unset: dict[str, tuple[str | None, Any]]
    rewritable: tuple[tuple[str, str | None], ...]


_OUTPUT_FIELDS: dict[type[BaseModel], _OutputFields] = {}


def _output_fields(cls: type[BaseModel]) -> _OutputFields:
    """Return ``cls``'s ``_OutputFields``, built on first use (read only)."""
    fields = _OUTPUT_FIELDS.get(cls)
    if fields is None:
        items = cls.model_fields.items()
        fields = _OutputFields(
            names=frozenset(cls.model_fields),
            unset={name: (f.serialization_alias, f.get_default(call_default_factory=True)) for name, f in items},
            rewritable=tuple((name, f.serialization_alias) for name, f in items if _may_rewrite(f.annotation)),
        )
        _OUTPUT_FIELDS[cls] = fields
    return fields


def _may_rewrite(annotation: Any) -> bool:
    """Tell whether a field of this type may hold a value ``_json_value`` rewrites (True when unsure)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _may_rewrite(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_may_rewrite(arm) for arm in get_args(annotation))
    return not (isinstance(annotation, type) and issubclass(annotation, _NEVER_REWRITTEN))


#: Field types whose values are never rewritten (a nested message rewrites its own fields).
_NEVER_REWRITTEN = (str, int, float, type(None), enum.Enum, BaseModel)


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
