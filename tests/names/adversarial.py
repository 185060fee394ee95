"""A Hypothesis strategy that writes valid protos with adversarial names.

Names Python treats specially (keywords, soft keywords, builtins), names the
generated code imports or defines (`Field`, `Any`, `datetime`, `router`,
`container`...), pydantic's own attributes, leading underscores, and equal
names across proto packages, services and nesting levels, some in oneofs.
Each example is two files of two proto packages (the second imports the
first) with two services that repeat an RPC name. Every proto drawn is valid
for protoc except for scope clashes of its own (two names a file already
declares); the caller rejects those examples.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

#: Field names: builtins and names the models' annotations read, typing and
#: pydantic names, keywords and soft keywords, route parameters, DomainEvent's
#: class variables, pydantic's private prefix. No two of them escape to one
#: Python name (`class` is here, `class_` is not).
FIELD_NAMES = (
    "int float str bool bytes list dict set type object tuple datetime enum Any Field Self ClassVar Annotated Optional"
    " Query Message Int64 Duration AliasChoices model_validator check_oneof class def from import lambda None True"
    " match case id len print json copy schema validate model_config model_fields container request body event_type"
    " aggregate_type _private self cls router annotations Path T x_"
).split()
#: Message and enum names: what the generated modules import or define, builtins, keywords.
TYPE_NAMES = (
    "Item Query Message Field Any Self Settings Container Client Route list str datetime None Model Request"
    " Response DomainEvent Duration Int64 Path T router models Exception object int type Annotated check_oneof"
).split()
#: Enum value names: keywords, str's own attributes, enum's reserved forms.
ENUM_VALUES = "NONE_SET None True name value mro upper format _HIDDEN_ __PRIVATE UNKNOWN ACTIVE".split()
#: RPC names whose snake_case is a keyword, a builtin or a name the routes, the container or the client hold.
RPC_NAMES = "Close Router Settings Start Stop Import Class GetContainer List Type Json Copy Validate Errors Retry Ping Match Dict".split()
SERVICE_NAMES = "TestService UnimplementedService Api Query Class Router".split()
#: Proto package segments: keywords, standard-library and builtin names.
PACKAGE_SEGMENTS = "class json types list models domain typing enum match alpha".split()
SCALARS = ["string", "int64", "double", "bool", "bytes", "int32", "uint64", "float", "optional string"]


@dataclass(frozen=True)
class AdversarialProtos:
    """Two proto files and their names: `first.proto` (package `adv.<first>.v1`) and `second.proto`, which imports it."""

    files: dict[str, str]
    summary: str


def _field_lines(draw: st.DrawFn, names: list[str], types: list[str], oneof_count: int) -> list[str]:
    lines = []
    oneof, rest = names[:oneof_count], names[oneof_count:]
    number = 1
    if oneof:
        lines.append(f"  oneof {draw(st.sampled_from(['variant', 'type', 'kind', 'from']))} {{")
        for name in oneof:
            value_type = draw(st.sampled_from([t for t in types if not t.startswith(("repeated", "map", "optional"))]))
            lines.append(f"    {value_type} {name} = {number};")
            number += 1
        lines.append("  }")
    for name in rest:
        lines.append(f"  {draw(st.sampled_from(types))} {name} = {number};")
        number += 1
    return lines


@st.composite
def adversarial_protos(draw: st.DrawFn) -> AdversarialProtos:
    """Draw two proto files with adversarial names (see the module docstring)."""
    first_package, second_package = draw(st.lists(st.sampled_from(PACKAGE_SEGMENTS), min_size=2, max_size=2, unique=True))
    types = draw(st.lists(st.sampled_from(TYPE_NAMES), min_size=4, max_size=4, unique=True))
    state, nested, enum_name, shared = types
    values = draw(st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=4, unique=True))
    fields = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=3, max_size=9, unique=True))
    # Absolute type names: a field or an RPC named like a type would otherwise be what a relative name finds.
    here = f".adv.{first_package}.v1"
    field_types = [
        *SCALARS,
        f"repeated {here}.{shared}",
        f"{here}.{enum_name}",
        f"{here}.{nested}",
        f"{here}.{state}.{nested}",
        ".google.protobuf.Timestamp",
        "map<string, string>",
    ]
    oneof_count = draw(st.integers(0, min(3, len(fields))))
    body = _field_lines(draw, fields, field_types, oneof_count)
    nested_fields = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=3, unique=True))
    first = "\n".join(
        [
            'syntax = "proto3";',
            f"package adv.{first_package}.v1;",
            "",
            'import "google/protobuf/timestamp.proto";',
            "",
            f"enum {enum_name} {{",
            *(f"  {value} = {number};" for number, value in enumerate(values)),
            "}",
            "",
            f"message {shared} {{",
            *(f"  string {name} = {n};" for n, name in enumerate(nested_fields, start=1)),
            "}",
            "",
            # A nested type named like a top-level one of this file.
            f"message {nested} {{",
            "  string id = 1;",
            "}",
            "",
            f"message {state} {{",
            *body,
            f"  message {nested} {{",
            *(f"    string {name} = {n};" for n, name in enumerate(nested_fields, start=1)),
            "  }",
            "}",
            "",
        ]
    )
    rpcs = draw(st.lists(st.sampled_from(RPC_NAMES), min_size=2, max_size=4, unique=True))
    repeated = rpcs[0]
    first_service, second_service = draw(st.lists(st.sampled_from(SERVICE_NAMES), min_size=2, max_size=2, unique=True))
    streaming = draw(st.booleans())

    there = f".adv.{second_package}.v1"

    def rpc_line(name: str, index: int) -> str:
        request = (state, shared, nested)[index % 3]
        response = (shared, state)[index % 2]
        return f"  rpc {name}({here}.{request}) returns ({'stream ' if streaming and index == 1 else ''}{here}.{response});"

    second = "\n".join(
        [
            'syntax = "proto3";',
            f"package adv.{second_package}.v1;",
            "",
            'import "first.proto";',
            "",
            # Equal names across packages: the second package declares the first's state type too.
            f"message {state} {{",
            *_field_lines(draw, fields[:3], SCALARS, 0),
            "}",
            "",
            f"message {shared} {{",
            f"  {here}.{shared} {fields[0]} = 1;",
            f"  {there}.{state} {fields[1]} = 2;",
            "}",
            "",
            f"service {first_service} {{",
            *(rpc_line(name, i) for i, name in enumerate(rpcs)),
            "}",
            "",
            f"service {second_service} {{",
            f"  rpc {repeated}({there}.{shared}) returns ({there}.{state});",
            "}",
            "",
        ]
    )
    summary = f"packages {first_package}/{second_package}; types {types}; fields {fields}; rpcs {rpcs}; services {first_service}/{second_service}"
    return AdversarialProtos({"first.proto": first, "second.proto": second}, summary)
