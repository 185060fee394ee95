"""Differential test: generated request models accept exactly the JSON protobuf's parser accepts (run by test_differential.py).

For every request message of a generated service, Hypothesis builds JSON
bodies: valid ones (protobuf messages written by `json_format.MessageToDict`,
with JSON or proto field names) and invalid or unusual ones (one field, maybe
nested, replaced by an out-of-range integer, a number as a string, an enum
name or number, a wrong type, null, "NaN"/"Infinity", a base64 variant, a
Timestamp or Duration string..., or an unknown member). Each body is read by
`json_format.Parse(..., ignore_unknown_fields=False)` and by the model as the
REST edge reads it (FastAPI validates the decoded JSON, pydantic's Python
mode); both must accept or both refuse, and when both accept, the model's
JSON output must parse to the same protobuf message.

Known, documented differences are left out of the comparison: an open
(proto3) enum number no value has (protobuf keeps it; a generated enum
cannot hold it) and sub-microsecond Timestamp/Duration digits (Python's
datetime holds microseconds), so no such value is generated. Any with a
packed "@type" needs a type registry: only `{}` is generated for Any.
Values are compared only for messages whose proto2 required fields are
set: the model writes a missing one's default (both parsers accept it).

Usage: python differential_check.py SPEC.json (the round-trip spec format).
"""

from __future__ import annotations

import base64
import datetime
import importlib
import json
import sys
from typing import Any

import pydantic
from google.protobuf import descriptor_pb2, json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message as ProtoMessage
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from roundtrip_check import ProtoClasses, messages

F = FieldDescriptor
_BOUNDS = [0, 1, -1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32 - 1, 2**32, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64]
_INTEGERS = st.sampled_from(_BOUNDS) | st.integers(-(2**65), 2**65)
_NUMBER_TEXT = st.sampled_from(["1", "-1", " 1", "1 ", "\t7", "1e3", "1.0", "1.5", "0x10", "1_000", "", "abc", "+5", "9" * 20, "-0", "3.4028235e+38", "1e39", "-1e39"])
_FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([3.4028234663852886e38, 3.5e38, -3.5e38, 1e308, 5e-324, -0.0])
_SPECIAL_TEXT = st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "inf", "-inf", "infinity", "true", "false", "null"])
_WRONG_SHAPES = st.sampled_from([[], {}, [None], ["x"], [1], {"a": 1}, [[]], True, False])
_UNKNOWN_NAMES = ["bogus", "unknownField", "x"]
# Text JSON can carry ("\ud800") but UTF-8 cannot: half a surrogate pair, alone or in a list or object.
_SURROGATE_TEXT = st.builds(lambda c, tail: c + tail, st.characters(categories=["Cs"]), st.text(max_size=2)).flatmap(
    lambda text: st.sampled_from([text, [text], {text: 1}, {"k": text}])
)


def _base64_variants(data: bytes) -> st.SearchStrategy[str]:
    standard = base64.b64encode(data).decode()
    url_safe = base64.urlsafe_b64encode(data).decode()
    return st.sampled_from([standard, url_safe, standard.rstrip("="), url_safe.rstrip("="), standard + "=", "!" + standard, standard[:-1], standard + "\n"])


_BYTES_TEXT = st.binary(max_size=8).flatmap(_base64_variants)

_SECONDS = st.integers(-62135596800 - 100, 253402300799 + 100)


def _timestamp_text(seconds: int, micros: int, style: int, offset_minutes: int) -> str:
    try:
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds, microseconds=micros)
    except OverflowError:
        return "10000-01-01T00:00:00Z"
    clock = moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
    fraction = ["", f".{micros:06d}", f".{micros // 1000:03d}", f".{micros:06d}"[:2]][style % 4]
    zone = "Z" if offset_minutes == 0 else f"{'+' if offset_minutes > 0 else '-'}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    return clock + fraction + zone


_TIMESTAMP_TEXT = st.builds(_timestamp_text, _SECONDS, st.integers(0, 999_999), st.integers(0, 3), st.sampled_from([0, 0, 60, -90, 14 * 60])) | st.sampled_from(
    ["2024-05-01T12:00:00", "2024-05-01t12:00:00Z", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00z", "2024-5-1T1:2:3Z", "2024-05-01T12:00:00+0100",
     "2024-05-01T12:00:00Zjunk", "2024-02-30T00:00:00Z", "2024-05-01T12:00:00.1234567890Z", "2024-05-01", "1714564800"]
)  # fmt: skip


def _duration_text(micros: int, style: int) -> str:
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), 1_000_000)
    return [f"{sign}{seconds}s", f"{sign}{seconds}.{fraction:06d}s", f"{sign}{seconds}.{fraction // 1000:03d}s", f"{sign}{seconds}"][style % 4]


_DURATION_TEXT = st.builds(_duration_text, st.integers(-(10**18), 10**18), st.integers(0, 3)) | st.sampled_from(
    ["1.5s", "-0.5s", "1.s", "s", ".5s", "1.5e3s", "+1s", " 1s", "1 s", "1.5S", "315576000001s", "-315576000000s", "1.0000000001s", "PT1S"]
)  # fmt: skip

_FIELD_MASK_TEXT = st.sampled_from(["", "title", "title,pageSize", "page_size", "a.b", "Title", ",", "a,,b", "fooBar.bazQux"])


def _enum_values(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    enum = field.enum_type
    names = [v.name for v in enum.values]
    numbers = [v.number for v in enum.values]
    return st.sampled_from(names + [n.lower() for n in names] + numbers + [str(n) for n in numbers] + [float(n) for n in numbers] + [0.5, 99, "UNKNOWN", True])


def _field_values(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    """Values aimed at one field's type (valid and invalid), plus a few of any type."""
    anything = _NUMBER_TEXT | _SPECIAL_TEXT | _WRONG_SHAPES | st.none() | st.text(max_size=6) | _SURROGATE_TEXT
    name = field.message_type.full_name if field.message_type is not None else ""
    if field.type == F.TYPE_ENUM:
        # No other numbers: protobuf keeps an open enum's unknown number, even truncated to 32 bits (2**32 → 0).
        return st.one_of(_enum_values(field), _enum_values(field), anything)
    anything = anything | _INTEGERS | _FLOATS
    if field.type == F.TYPE_BYTES or name == "google.protobuf.BytesValue":
        aimed = _BYTES_TEXT
    elif name == "google.protobuf.Timestamp":
        aimed = _TIMESTAMP_TEXT
    elif name == "google.protobuf.Duration":
        aimed = _DURATION_TEXT
    elif name == "google.protobuf.FieldMask":
        aimed = _FIELD_MASK_TEXT
    elif field.type in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        aimed = _FLOATS | _SPECIAL_TEXT | _NUMBER_TEXT
    else:
        aimed = _INTEGERS | _NUMBER_TEXT | st.integers(-(2**64), 2**64).map(str)
    return st.one_of(aimed, aimed, anything)


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _is_plain_message(field: FieldDescriptor) -> bool:
    return field.type == F.TYPE_MESSAGE and not _is_map(field) and not field.message_type.full_name.startswith("google.protobuf.")


@st.composite
def mutated(draw: st.DrawFn, descriptor: Descriptor, body: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Return `body` (a JSON object of `descriptor`) with one change, or none."""
    body = dict(body)
    fields = list(descriptor.fields)
    change = draw(st.sampled_from(["none", "rename", "replace", "replace", "replace", "unknown", "nested"]))
    if change == "none" or not fields:
        return body
    if change == "unknown":
        body[draw(st.sampled_from(_UNKNOWN_NAMES))] = draw(st.integers(0, 3) | st.none() | st.text(max_size=3))
        return body
    field = draw(st.sampled_from(fields))
    names = list(dict.fromkeys([field.json_name, field.name]))
    present = [key for key in names if key in body]
    key = draw(st.sampled_from(names))
    if change == "rename":
        if present:
            body[key] = body.pop(present[0])
        return body
    if change == "nested" and depth < 2 and _is_plain_message(field):
        inner = body.get(present[0]) if present else {}
        if field.is_repeated:
            items = inner if isinstance(inner, list) and inner else [{}]
            body[key] = [draw(mutated(field.message_type, item, depth + 1)) if isinstance(item, dict) else item for item in items]
        else:
            body[key] = draw(mutated(field.message_type, inner if isinstance(inner, dict) else {}, depth + 1))
        for other in present:
            if other != key:
                body.pop(other)
        return body
    for other in present:
        body.pop(other)
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        value = draw(st.dictionaries(st.text(max_size=3), _field_values(value_field), max_size=2) | _field_values(value_field))
    elif field.is_repeated:
        value = draw(st.lists(_field_values(field), max_size=3) | _field_values(field))
    else:
        value = draw(_field_values(field))
    body[key] = value
    return body


def _has_unknown_enum_number(message: ProtoMessage) -> bool:
    """Tell whether an enum field of `message` (at any depth) holds a number no value of its enum has."""
    for field, value in message.ListFields():
        values = value if field.is_repeated and not _is_map(field) else [value]
        if _is_map(field):
            values = list(value.values())
            field = field.message_type.fields_by_name["value"]
        for item in values:
            if field.type == F.TYPE_ENUM and field.enum_type.values_by_number.get(item) is None:
                return True
            if field.type == F.TYPE_MESSAGE and isinstance(item, ProtoMessage) and _has_unknown_enum_number(item):
                return True
    return False


def _has_sub_microsecond_time(message: ProtoMessage) -> bool:
    for field, value in message.ListFields():
        if field.type != F.TYPE_MESSAGE:
            continue
        items = list(value.values()) if _is_map(field) else (list(value) if field.is_repeated else [value])
        for item in items:
            if not isinstance(item, ProtoMessage):
                continue
            if item.DESCRIPTOR.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration") and item.nanos % 1000:
                return True
            if _has_sub_microsecond_time(item):
                return True
    return False


def _comparable(message: ProtoMessage) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def check_message(model: Any, proto_class: type[ProtoMessage], classes: ProtoClasses, examples: int) -> None:
    """Compare the model with protobuf's parser on generated bodies of `proto_class`.

    Raises:
        AssertionError: with Hypothesis's smallest counterexample.
    """
    descriptor = proto_class.DESCRIPTOR

    @st.composite
    def bodies(draw: st.DrawFn) -> dict[str, Any]:
        original = draw(messages(descriptor, classes))
        body = json_format.MessageToDict(original, preserving_proto_field_name=draw(st.booleans()))
        return draw(mutated(descriptor, body))

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(bodies())
    def agree(body: dict[str, Any]) -> None:
        # The REST edge reads decoded JSON: a body with a literal NaN/Infinity is not valid JSON (RFC 8259).
        try:
            text = json.dumps(body, allow_nan=False)
        except ValueError:
            assume(False)
            return
        proto: ProtoMessage | None = proto_class()
        try:
            json_format.Parse(text, proto, ignore_unknown_fields=False, descriptor_pool=classes.pool)
        except Exception:  # noqa: BLE001 - any failure of protobuf's parser is a refusal
            proto = None
        if proto is not None:
            assume(not _has_unknown_enum_number(proto) and not _has_sub_microsecond_time(proto))
        try:
            parsed = model.model_validate(json.loads(text))
        except pydantic.ValidationError as error:
            assert proto is None, f"{model.__name__}: protobuf accepts {text} as {_comparable(proto)}; the model refuses it:\n{error}"
            return
        assert proto is not None, f"{model.__name__}: protobuf refuses {text}; the model accepts it as {parsed!r}"
        if not proto.IsInitialized():
            return  # a proto2 required field is missing: the model holds its default, which it writes
        written = parsed.model_dump_json()
        again = json_format.Parse(written, proto_class(), descriptor_pool=classes.pool)
        assert _comparable(again) == _comparable(proto), f"{model.__name__}: {text} → protobuf {_comparable(proto)}, model writes {written}"

    agree()


def check(spec: dict[str, Any]) -> int:
    """Run the comparison for every class of `spec`; return how many messages were checked."""
    file_set = descriptor_pb2.FileDescriptorSet.FromString(base64.b64decode(spec["descriptor_set"]))
    classes = ProtoClasses(file_set)
    for full_name, module, class_name in spec["classes"]:
        model = getattr(importlib.import_module(module), class_name)
        check_message(model, classes[full_name], classes, spec["examples"])
    return len(spec["classes"])


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        count = check(json.load(spec_file))
    print(f"compared {count} request messages with protobuf's JSON parser")
