"""Pydantic bases for generated proto messages, value objects and domain events.

Generated fields whose proto3 JSON name differs from the attribute declare
``Field(validation_alias=AliasChoices(json_name, proto_name),
serialization_alias=json_name)``: parsers accept both names and output uses
the JSON name, as the proto3 JSON mapping asks.
This module must not hold any persistence or transport logic.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    """Base of every generated proto message.

    Accepts fields by Python name or proto JSON name, serialises by JSON name,
    and ignores unknown fields (proto3 forward compatibility).
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
