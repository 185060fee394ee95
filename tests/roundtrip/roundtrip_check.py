"""Round-trip generated pydantic models against protobuf itself (run as a script by test_roundtrip.py).

For every message of a generated project, Hypothesis builds random protobuf
messages from the descriptors; each must survive
protobuf JSON → generated model → JSON (equal to `MessageToDict`'s) →
protobuf (equal message), and generated model → JSON → protobuf binary →
protobuf → JSON → model (equal model). So the generated models read and
write exactly the proto3 JSON mapping (protobuf's `json_format` is the
reference).

Usage: python roundtrip_check.py SPEC.json, where SPEC holds
`descriptor_set` (base64 FileDescriptorSet), `classes` ([full proto name,
module, class name]) and `examples` (per message). Exits non-zero on the
first counterexample, printing it.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import json
import sys
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message as ProtoMessage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

F = FieldDescriptor
_INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}
# Python's datetime and timedelta hold microseconds: nanoseconds below that are
# not representable, so generated values stay on whole microseconds.
_MIN_SECONDS = int(datetime.datetime(1, 1, 1, tzinfo=datetime.UTC).timestamp())
_MAX_SECONDS = int(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC).timestamp())
_JSON_LEAF = st.none() | st.booleans() | st.text(max_size=8) | st.floats(allow_nan=False, allow_infinity=False)
_JSON = st.recursive(_JSON_LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type in _INT_RANGES:
        low, high = _INT_RANGES[field.type]
        return st.integers(low, high)
    if field.type == F.TYPE_DOUBLE:
        return st.floats(allow_nan=False, allow_infinity=False)
    if field.type == F.TYPE_FLOAT:
        # protobuf's JSON parser rejects its own shortest text of the largest float32 ("3.4028235e+38").
        return st.floats(min_value=-3.3999999521443642e38, max_value=3.3999999521443642e38, width=32)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_STRING:
        return st.text(max_size=12)
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=12)
    if field.type == F.TYPE_ENUM:
        return st.sampled_from([value.number for value in field.enum_type.values])
    raise AssertionError(f"not a scalar: {field.full_name}")


def _well_known(descriptor: Descriptor, classes: dict[str, type[ProtoMessage]]) -> st.SearchStrategy[ProtoMessage] | None:
    name = descriptor.full_name
    cls = classes[name]
    if name == "google.protobuf.Timestamp":
        return st.builds(lambda s, us: cls(seconds=s, nanos=us * 1000), st.integers(_MIN_SECONDS, _MAX_SECONDS), st.integers(0, 999_999))
    if name == "google.protobuf.Duration":
        def duration(micros: int) -> ProtoMessage:
            sign = -1 if micros < 0 else 1
            seconds, fraction = divmod(abs(micros), 1_000_000)
            return cls(seconds=sign * seconds, nanos=sign * fraction * 1000)

        return st.builds(duration, st.integers(-(10**15), 10**15))
    if name in ("google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"):
        shape = {"google.protobuf.Struct": st.dictionaries(st.text(max_size=5), _JSON, max_size=3),
                 "google.protobuf.ListValue": st.lists(_JSON, max_size=3),
                 "google.protobuf.Value": _JSON}[name]
        return shape.map(lambda value: json_format.ParseDict(value, cls()))
    if name == "google.protobuf.FieldMask":
        segment = st.from_regex(r"[a-z][a-z0-9]{0,5}(_[a-z][a-z0-9]{0,3}){0,2}", fullmatch=True)
        return st.lists(st.lists(segment, min_size=1, max_size=2).map(".".join), max_size=3).map(lambda paths: cls(paths=paths))
    if name == "google.protobuf.Any":
        return st.just(cls())  # needs a type registry; left empty
    if name == "google.protobuf.Empty":
        return st.just(cls())
    if name.startswith("google.protobuf.") and name.endswith("Value"):
        return _scalar(descriptor.fields_by_name["value"]).map(lambda value: cls(value=value))
    return None


def messages(descriptor: Descriptor, classes: dict[str, type[ProtoMessage]], depth: int = 0) -> st.SearchStrategy[ProtoMessage]:
    """Return a strategy of protobuf messages of `descriptor`: random field values, at most one member per oneof."""
    known = _well_known(descriptor, classes)
    if known is not None:
        return known
    cls = classes[descriptor.full_name]

    def value_of(field: FieldDescriptor) -> st.SearchStrategy[Any]:
        if field.type == F.TYPE_MESSAGE:
            # Past depth 2 messages are left empty, unless proto2 required fields must be set.
            if depth < 2 or any(f.is_required for f in field.message_type.fields):
                return messages(field.message_type, classes, depth + 1)
            return st.just(classes[field.message_type.full_name]())
        return _scalar(field)

    parts: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.containing_oneof is not None and not field.containing_oneof.name.startswith("_"):
            continue  # real oneofs are drawn below
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            parts[field.name] = st.dictionaries(_scalar(key), value_of(value), max_size=3)
        elif field.is_repeated:
            parts[field.name] = st.lists(value_of(field), max_size=3)
        elif field.has_presence and not field.is_required:
            parts[field.name] = st.none() | value_of(field)
        else:
            parts[field.name] = value_of(field)
    oneofs = [o for o in descriptor.oneofs if not o.name.startswith("_")]
    choices = [st.none() | st.sampled_from(list(o.fields)).flatmap(lambda f: value_of(f).map(lambda v, f=f: (f, v))) for o in oneofs]

    def build(values: dict[str, Any], chosen: list[Any]) -> ProtoMessage:
        message = cls()
        for name, value in values.items():
            field = descriptor.fields_by_name[name]
            _set(message, field, value)
        for pick in chosen:
            if pick is not None:
                _set(message, pick[0], pick[1])
        return message

    return st.builds(build, st.fixed_dictionaries(parts), st.tuples(*choices).map(list))


def _set(message: ProtoMessage, field: FieldDescriptor, value: Any) -> None:
    if value is None:
        return
    target = getattr(message, field.name)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        for key, item in value.items():
            if field.message_type.fields_by_name["value"].type == F.TYPE_MESSAGE:
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif field.is_repeated:
        target.extend(value)
    elif field.type == F.TYPE_MESSAGE:
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


class ProtoClasses(dict[str, type[ProtoMessage]]):
    """Full message name → protobuf message class, built on first use from a FileDescriptorSet."""

    def __init__(self, file_set: descriptor_pb2.FileDescriptorSet) -> None:
        super().__init__()
        self.pool = descriptor_pool.DescriptorPool()
        for file_proto in file_set.file:
            self.pool.Add(file_proto)

    def __missing__(self, name: str) -> type[ProtoMessage]:
        self[name] = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(name))
        return self[name]


def check(spec: dict[str, Any]) -> int:
    """Run the properties for every class of `spec`; return how many messages were checked."""
    file_set = descriptor_pb2.FileDescriptorSet.FromString(base64.b64decode(spec["descriptor_set"]))
    classes = ProtoClasses(file_set)
    for full_name, module, class_name in spec["classes"]:
        model = getattr(importlib.import_module(module), class_name)
        check_message(model, classes[full_name], messages(classes[full_name].DESCRIPTOR, classes), spec["examples"])
    return len(spec["classes"])


def check_message(model: Any, proto_class: type[ProtoMessage], strategy: st.SearchStrategy[ProtoMessage], examples: int) -> None:
    """Check the round trips of one generated model class against its protobuf class.

    Raises:
        AssertionError: with Hypothesis's smallest counterexample.
    """

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def round_trip(original: ProtoMessage) -> None:
        text = json_format.MessageToJson(original)
        parsed = model.model_validate_json(text)
        written = parsed.model_dump_json()
        # Exactly protobuf's JSON, not only JSON protobuf accepts (Parse also takes an int64 as a number).
        assert json.loads(written) == json_format.MessageToDict(original), f"{model.__name__}: {written} != {text}"
        again = json_format.Parse(written, proto_class())
        assert again == original, f"{model.__name__}: JSON {text} → model → {written} → {again} != {original}"
        through_binary = proto_class.FromString(again.SerializeToString())
        assert model.model_validate_json(json_format.MessageToJson(through_binary)) == parsed, model.__name__

    round_trip()


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        count = check(json.load(spec_file))
    print(f"round-tripped {count} messages")
