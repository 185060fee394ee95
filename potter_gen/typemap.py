"""Proto scalar and well-known types → Python annotations and defaults.

Pure lookup tables (descriptor.proto `FieldDescriptorProto.Type`); the model
builder combines them with labels (repeated, optional, map).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pb2 as d

T = d.FieldDescriptorProto


@dataclass(frozen=True)
class PythonType:
    """A Python annotation with its proto3 default value expression."""

    annotation: str
    default: str
    proto_type: str


_SCALARS: dict[int, PythonType] = {
    T.TYPE_DOUBLE: PythonType("float", "0.0", "double"),
    T.TYPE_FLOAT: PythonType("float", "0.0", "float"),
    T.TYPE_INT64: PythonType("Int64", "0", "int64"),
    T.TYPE_UINT64: PythonType("Int64", "0", "uint64"),
    T.TYPE_INT32: PythonType("int", "0", "int32"),
    T.TYPE_FIXED64: PythonType("Int64", "0", "fixed64"),
    T.TYPE_FIXED32: PythonType("int", "0", "fixed32"),
    T.TYPE_BOOL: PythonType("bool", "False", "bool"),
    T.TYPE_STRING: PythonType("str", '""', "string"),
    T.TYPE_BYTES: PythonType("bytes", 'b""', "bytes"),
    T.TYPE_UINT32: PythonType("int", "0", "uint32"),
    T.TYPE_SFIXED32: PythonType("int", "0", "sfixed32"),
    T.TYPE_SFIXED64: PythonType("Int64", "0", "sfixed64"),
    T.TYPE_SINT32: PythonType("int", "0", "sint32"),
    T.TYPE_SINT64: PythonType("Int64", "0", "sint64"),
}

# 64-bit integers are `potter_runtime.messages.Int64`: strings in JSON (proto3 JSON mapping).

# Well-known types with a natural Python type (the annotation of a present
# value). `Int64` and `Duration` come from `potter_runtime.messages`: they
# carry the proto3 JSON forms ("123", "1.5s") that pydantic's defaults lack.
WELL_KNOWN: dict[str, str] = {
    ".google.protobuf.Timestamp": "datetime.datetime",
    ".google.protobuf.Duration": "Duration",
    ".google.protobuf.Struct": "dict[str, Any]",
    ".google.protobuf.Value": "Any",
    ".google.protobuf.ListValue": "list[Any]",
    ".google.protobuf.Any": "dict[str, Any]",
    ".google.protobuf.FieldMask": "str",
    ".google.protobuf.Empty": "dict[str, Any]",
    ".google.protobuf.DoubleValue": "float",
    ".google.protobuf.FloatValue": "float",
    ".google.protobuf.Int64Value": "Int64",
    ".google.protobuf.UInt64Value": "Int64",
    ".google.protobuf.Int32Value": "int",
    ".google.protobuf.UInt32Value": "int",
    ".google.protobuf.BoolValue": "bool",
    ".google.protobuf.StringValue": "str",
    ".google.protobuf.BytesValue": "bytes",
}


def scalar_type(field_type: int) -> PythonType | None:
    """Return the Python type of a scalar `FieldDescriptorProto.Type`, or None."""
    return _SCALARS.get(field_type)


def is_well_known(type_name: str) -> bool:
    """Tell whether `type_name` (leading dot) is a mapped well-known type."""
    return type_name in WELL_KNOWN
