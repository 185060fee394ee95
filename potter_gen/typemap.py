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
    T.TYPE_DOUBLE: PythonType("Double", "0.0", "double"),
    T.TYPE_FLOAT: PythonType("Float", "0.0", "float"),
    T.TYPE_INT64: PythonType("Int64", "0", "int64"),
    T.TYPE_UINT64: PythonType("UInt64", "0", "uint64"),
    T.TYPE_INT32: PythonType("Int32", "0", "int32"),
    T.TYPE_FIXED64: PythonType("UInt64", "0", "fixed64"),
    T.TYPE_FIXED32: PythonType("UInt32", "0", "fixed32"),
    T.TYPE_BOOL: PythonType("Bool", "False", "bool"),
    T.TYPE_STRING: PythonType("str", '""', "string"),
    T.TYPE_BYTES: PythonType("Bytes", 'b""', "bytes"),
    T.TYPE_UINT32: PythonType("UInt32", "0", "uint32"),
    T.TYPE_SFIXED32: PythonType("Int32", "0", "sfixed32"),
    T.TYPE_SFIXED64: PythonType("Int64", "0", "sfixed64"),
    T.TYPE_SINT32: PythonType("Int32", "0", "sint32"),
    T.TYPE_SINT64: PythonType("Int64", "0", "sint64"),
}

# Every annotation but `str` is a type of `potter_runtime.messages` (defined in
# `potter_runtime.proto_json`): it reads exactly the JSON values protobuf's
# parser reads for the field type (ranges, numbers as strings, "NaN", base64
# variants...) and writes the proto3 JSON form (64-bit integers as strings).

# Well-known types (the annotation of a present value).
WELL_KNOWN: dict[str, str] = {
    ".google.protobuf.Timestamp": "Timestamp",
    ".google.protobuf.Duration": "Duration",
    ".google.protobuf.Struct": "dict[str, Any]",
    ".google.protobuf.Value": "Any",
    ".google.protobuf.ListValue": "list[Any]",
    ".google.protobuf.Any": "AnyMessage",
    ".google.protobuf.FieldMask": "FieldMask",
    ".google.protobuf.Empty": "EmptyValue",
    ".google.protobuf.DoubleValue": "Double",
    ".google.protobuf.FloatValue": "Float",
    ".google.protobuf.Int64Value": "Int64",
    ".google.protobuf.UInt64Value": "UInt64",
    ".google.protobuf.Int32Value": "Int32",
    ".google.protobuf.UInt32Value": "UInt32",
    ".google.protobuf.BoolValue": "Bool",
    ".google.protobuf.StringValue": "str",
    ".google.protobuf.BytesValue": "Bytes",
}

#: The annotations above that `potter_runtime.messages` defines (generated modules import them from there).
RUNTIME_TYPES = (
    "AnyMessage", "Bool", "Bytes", "Double", "Duration", "EmptyValue", "FieldMask", "Float",
    "Int32", "Int64", "Timestamp", "UInt32", "UInt64",
)  # fmt: skip
#: Runtime integer annotations (for samples and list totals).
INTEGER_TYPES = ("Int32", "UInt32", "Int64", "UInt64")


def scalar_type(field_type: int) -> PythonType | None:
    """Return the Python type of a scalar `FieldDescriptorProto.Type`, or None."""
    return _SCALARS.get(field_type)


def is_well_known(type_name: str) -> bool:
    """Tell whether `type_name` (leading dot) is a mapped well-known type."""
    return type_name in WELL_KNOWN
