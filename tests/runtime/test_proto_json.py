"""proto_json types read what protobuf's JSON parser reads (a few cases per rule; tests/roundtrip compares exhaustively)."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
from pydantic import Field, ValidationError

from potter_runtime.messages import (
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
    Message,
    Timestamp,
    UInt32,
    UInt64,
)


class Sample(Message):
    i32: Int32 = 0
    u32: UInt32 = 0
    i64: Int64 = 0
    u64: UInt64 = 0
    f32: Float = 0.0
    f64: Double = 0.0
    flag: Bool = False
    data: Bytes = b""
    at: Timestamp | None = None
    took: Duration | None = None
    mask: FieldMask | None = None
    nothing: EmptyValue | None = None
    packed: AnyMessage | None = None
    names: list[str] = Field(default_factory=list)


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        ("i32", 2**31 - 1, 2**31 - 1),
        ("i32", "-12", -12),
        ("i32", 3.0, 3),
        ("i32", "1e2", 100),
        ("u32", 2**32 - 1, 2**32 - 1),
        ("i64", "-9223372036854775808", -(2**63)),
        ("u64", "18446744073709551615", 2**64 - 1),
        ("f64", "Infinity", math.inf),
        ("f64", "-Infinity", -math.inf),
        ("f64", "1.5", 1.5),
        ("f32", 3.4028234663852886e38, 3.4028234663852886e38),
        ("flag", True, True),
        ("data", "-_8=", b"\xfb\xff"),
        ("data", "+/8", b"\xfb\xff"),
        ("at", "1972-01-01T10:00:20.021-05:00", datetime.datetime(1972, 1, 1, 15, 0, 20, 21000, tzinfo=datetime.UTC)),
        ("took", "-0.5s", datetime.timedelta(seconds=-0.5)),
        ("mask", "title,pageSize", "title,pageSize"),
        ("nothing", {}, {}),
        ("packed", {"@type": "type.googleapis.com/acme.Book", "title": "Dune"}, {"@type": "type.googleapis.com/acme.Book", "title": "Dune"}),
    ],
)
def test_accepted_json_values(field: str, given: Any, expected: Any) -> None:
    assert getattr(Sample.model_validate({field: given}), field) == expected


@pytest.mark.parametrize(
    ("field", "given"),
    [
        ("i32", 2**31),
        ("i32", -(2**31) - 1),
        ("i32", 1.5),
        ("i32", " 1"),
        ("i32", True),
        ("u32", -1),
        ("i64", 2**63),
        ("u64", -1),
        ("f64", "nan"),
        ("f64", "abc"),
        ("f32", 3.5e38),
        ("flag", "true"),
        ("flag", 1),
        ("data", 12),
        ("at", "2024-05-01T12:00:00"),
        ("at", "2024-05-01t12:00:00Z"),
        ("at", "10000-01-01T00:00:00Z"),
        ("took", "1.5"),
        ("took", "315576000001s"),
        ("mask", "page_size"),
        ("mask", ["title"]),
        ("nothing", {"a": 1}),
        ("packed", {"title": "Dune"}),
        ("names", ["\ud800"]),
    ],
)
def test_refused_json_values(field: str, given: Any) -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate({field: given})


def test_json_output_is_proto3_json() -> None:
    sample = Sample(i64=2**40, u64=2**64 - 1, f64=math.nan, data=b"\xfb\xff", took=datetime.timedelta(seconds=1.5))

    assert math.isnan(Sample.model_validate_json(sample.model_dump_json()).f64)
    # As json_format.MessageToDict writes it: fields never set are left out, bytes in standard base64.
    assert sample.model_dump(mode="json") | {"f64": None} == {
        "i64": str(2**40), "u64": str(2**64 - 1), "f64": None, "data": "+/8=", "took": "1.500s",
    }  # fmt: skip
    assert '"f64":"NaN"' in sample.model_dump_json()
