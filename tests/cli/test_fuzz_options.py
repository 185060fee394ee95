"""Hypothesis fuzzes potter option values and proto names through the whole in-memory pipeline.

Each test writes a small proto built from drawn values (module_name,
transports, aggregate names, event types, error codes, message, field, enum
and RPC names drawn from identifiers that include Python keywords, soft
keywords and builtins) and runs `potter_gen.pipeline.generate_tree` on it.
The property (STYLE.md §5): either generation succeeds, every rendered
Python file compiles and every output path is relative, normalised, ASCII
and inside the project; or it raises an `InputError` (exit 2) whose every
diagnostic says what is wrong and, when it points into the proto, does so
with a 1-based line and column that exist in the file. Any other exception,
including `FormatError` (rendered code that does not parse, a potter-gen
bug), fails the test. Inputs fuzzing once broke are kept as `@example`s.

The option strategies are steered (`mostly`): each value is valid 15 times
in 16, so most examples generate and run the whole pipeline, while a refused
one differs from a valid project in few values; a test holds the share of
examples that generate above one half.
"""

from __future__ import annotations

import builtins
import keyword
import os
import posixpath
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from potter_gen.errors import Diagnostic, InputError, Severity, ValidationError
from potter_gen.ir import Project
from potter_gen.pipeline import generate_tree
from potter_gen.render import Storage
from potter_gen.targets import TARGETS, FanOut, Layer

T = TypeVar("T")

#: POTTER_FUZZ_EXAMPLES=500 explores more (about 0.25 s an example).
SETTINGS = settings(
    max_examples=int(os.environ.get("POTTER_FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Identifiers Python treats specially, plus ordinary ones.
SPECIAL_NAMES = sorted(
    {*keyword.kwlist, *keyword.softkwlist, "id", "list", "type", "str", "int", "dict", "object", "print", "Exception"}
    | {"Item", "item", "model_config", "copy", "json", "schema", "Query", "Field", "T", "_x", "x_", "A1", "snake_case"}
)
BUILTIN_NAMES = sorted(n for n in dir(builtins) if n.isidentifier() and not n.startswith("__"))
IDENTIFIERS = st.one_of(
    st.sampled_from(SPECIAL_NAMES),
    st.sampled_from(BUILTIN_NAMES),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,9}", fullmatch=True),
)
#: Arbitrary option text: any Unicode scalar value (no surrogates), short.
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=14)
MODULE_NAMES = st.one_of(
    TEXT,
    st.sampled_from(["inventory", "", "class", "match", "json", "list", "../evil", "a.b", "a/b", "/abs", "Inventory"]),
    st.sampled_from(["inventory\n", "inventory ", "ïnventory", "_inventory", "9lives", "x" * 70, "con", "nul"]),
)
TRANSPORTS = st.lists(
    st.one_of(st.sampled_from(["REST", "rest", " gRPC ", "GraphQL", "NATS", "Kafka", "SOAP", "", "ＲＥＳＴ", "rest\n"]), TEXT),
    max_size=3,
)
FIELD_TYPES = st.sampled_from(
    ["string", "int64", "bool", "double", "bytes", "repeated string", "optional int32", "map<string, int32>",
     "google.protobuf.Timestamp", "Colour"]
)


def mostly(valid: st.SearchStrategy[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Draw from `valid` 15 times in 16, else from `other`: most examples generate, a refused one varies few values.

    (`st.one_of` balances its branches rather than weighting them, so the
    choice is a drawn number; 7, not an end of the range Hypothesis favours.)
    """
    return st.integers(0, 15).flatmap(lambda digit: other if digit == 7 else valid)


PASCAL_NAMES = st.from_regex(r"[A-Z][a-z]{2,7}", fullmatch=True).filter(lambda n: n not in ("Item", "Stock", "Shop", "Query", "Path", "Self"))
EVENT_TYPES = st.from_regex(r"[a-z]{1,6}\.[a-z][a-z_]{0,7}", fullmatch=True)
ERROR_CODES = st.from_regex(r"[A-Z][A-Z0-9_]{0,9}", fullmatch=True)
SECONDS = st.integers(0, 86_400)


def proto_string(text: str) -> str:
    """Return `text` as a proto string literal: printable ASCII as is, every other UTF-8 byte octal-escaped."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _check_diagnostic(diagnostic: Diagnostic, lines: list[str], exc: InputError) -> None:
    assert diagnostic.severity is Severity.ERROR, diagnostic
    assert diagnostic.message.strip(), diagnostic
    # One diagnostic, one line: quoted option values must not break it.
    assert len(diagnostic.format().splitlines()) == 1, diagnostic.format()
    location = diagnostic.location
    if location is not None:
        assert location.file, diagnostic
        assert location.line >= 1 and location.column >= 1, diagnostic
        if location.file.endswith("fuzz.proto"):
            assert location.line <= len(lines), diagnostic
            assert location.column <= len(lines[location.line - 1]) + 1, diagnostic
    elif isinstance(exc, ValidationError):
        # Only the package name is no proto element's fault: `--module`, or none derivable.
        project_level = diagnostic.message.startswith(("--module", "cannot derive"))
        assert project_level, f"a potter rule broken without a location: {diagnostic.format()}"


def expected_files(project: Project, layer: Layer) -> int:
    """Return how many files `layer` renders for `project`: fewer in the tree means two targets got one path."""
    storage = Storage.of(project)
    per_fan_out = {
        FanOut.PROJECT: 1,
        FanOut.AGGREGATE: len(project.aggregates),
        FanOut.RPC: len(project.rpcs),
        FanOut.READ_MODEL: len(storage.read_models),
        FanOut.STATE_INDEX: len(storage.state_indexes),
        FanOut.SUBSCRIBER: len(storage.subscribers),
    }
    return sum(per_fan_out[target.fan_out] for target in TARGETS[layer])


def check_generation(proto: str, module: str | None = None, layer: Layer = Layer.SERVICE) -> bool:
    """Run the pipeline on `proto` and check the property of the module docstring; tell whether it generated."""
    lines = proto.splitlines()
    with tempfile.TemporaryDirectory(prefix="potter-fuzz-") as tmp:
        path = Path(tmp) / "fuzz.proto"
        path.write_text(proto, encoding="utf-8")
        try:
            generated = generate_tree([path], module=module, layer=layer)
        except InputError as exc:
            assert exc.diagnostics, exc
            for diagnostic in exc.diagnostics:
                _check_diagnostic(diagnostic, lines, exc)
            event("refused")
            return False
    package = generated.project.package
    assert len(generated.tree) == expected_files(generated.project, layer), sorted(generated.tree)
    for relative, output in generated.tree.items():
        pure = PurePosixPath(relative)
        assert not pure.is_absolute() and ".." not in pure.parts, relative
        assert posixpath.normpath(relative) == relative, relative
        assert relative.isascii() and relative.isprintable() and "\\" not in relative, repr(relative)
        if relative.startswith("src/"):
            assert pure.parts[1] in (package, f"{package}_client"), relative
        if relative.endswith(".py"):
            compile(output.text, relative, "exec", dont_inherit=True)
    event("generated")
    return True


def service_proto(module_name: str | None, transports: list[str]) -> str:
    option = ""
    if module_name is not None or transports:
        values = []
        if module_name is not None:
            values.append(f"module_name: {proto_string(module_name)}")
        if transports:
            values.append(f"transport: [{', '.join(proto_string(t) for t in transports)}]")
        option = f"  option (potter.service) = {{ {' '.join(values)} }};\n"
    return f"""syntax = "proto3";
package fuzz.inventory.v1;

import "potter/options.proto";

service ItemService {{
{option}
  rpc CreateItem(CreateItemRequest) returns (CreateItemResponse) {{
    option (potter.command) = {{ aggregate: "Item" }};
  }}

  rpc GetItem(GetItemRequest) returns (Item) {{
    option (potter.query) = {{}};
  }}
}}

message Item {{
  option (potter.aggregate) = {{ name: "Item" }};
  string id = 1;
  string name = 2;
}}

message CreateItemRequest {{
  string name = 1;
}}

message CreateItemResponse {{
  string id = 1;
}}

message GetItemRequest {{
  string id = 1;
}}
"""


SERVICE_OPTIONS = {
    "module_name": mostly(st.none() | st.sampled_from(["inventory", "shop_api", "items2"]), MODULE_NAMES),
    "transports": mostly(st.lists(st.sampled_from(["REST", "rest", " gRPC ", "GraphQL", "NATS", "Kafka"]), max_size=3), TRANSPORTS),
    "module": mostly(st.none() | st.sampled_from(["inventory", "catalogue"]), MODULE_NAMES),
}


@SETTINGS
@given(**SERVICE_OPTIONS)
# Found by fuzzing: `$` in the package-name pattern accepted "inventory\n" (paths `src/inventory\n/...`).
@example(module_name="inventory\n", transports=[], module=None)
@example(module_name="inventory", transports=[], module="../x")
def test_fuzzed_service_options(module_name: str | None, transports: list[str], module: str | None) -> None:
    check_generation(service_proto(module_name, transports), module)


def generates(module_name: str | None, transports: list[str], module: str | None) -> bool:
    return check_generation(service_proto(module_name, transports), module)


def domain_proto(
    aggregate: str,
    event_type: str,
    version: int,
    codes: tuple[str, str],
    timeout: int,
    ttl: int,
    command_aggregate: str,
    second: str,
) -> str:
    return f"""syntax = "proto3";
package fuzz.shop.v1;

import "potter/options.proto";

service ShopService {{
  option (potter.service) = {{ module_name: "shop" }};

  rpc CreateItem(CreateItemRequest) returns (CreateItemResponse) {{
    option (potter.command) = {{ aggregate: {proto_string(command_aggregate)} timeout_seconds: {timeout} idempotent: true }};
  }}

  rpc GetItem(GetItemRequest) returns (Item) {{
    option (potter.query) = {{ cacheable: true cache_ttl_seconds: {ttl} }};
  }}
}}

message Item {{
  option (potter.aggregate) = {{ name: {proto_string(aggregate)} }};
  string id = 1;
  string name = 2;
}}

message Stock {{
  option (potter.aggregate) = {{ name: {proto_string(second)} }};
  string id = 1;
}}

message ItemCreatedEvent {{
  option (potter.event) = {{ event_type: {proto_string(event_type)} aggregate: {proto_string(aggregate)} version: {version} }};
  string item_id = 1;
  string name = 2;
}}

message ItemRenamedEvent {{
  option (potter.event) = {{ aggregate: {proto_string(aggregate)} }};
  string item_id = 1;
  string name = 2;
}}

message OutOfStock {{
  option (potter.error_event) = {{ error_code: {proto_string(codes[0])} retryable: true }};
  string detail = 1;
}}

message PriceRejected {{
  option (potter.error_event) = {{ error_code: {proto_string(codes[1])} }};
  string detail = 1;
}}

message CreateItemRequest {{
  string name = 1;
}}

message CreateItemResponse {{
  string id = 1;
}}

message GetItemRequest {{
  string id = 1;
}}
"""


INT32 = st.integers(-(2**31), 2**31 - 1)



DOMAIN_OPTIONS = {
    "aggregate": mostly(PASCAL_NAMES, st.one_of(IDENTIFIERS, TEXT)),
    "event_type": mostly(st.just("") | EVENT_TYPES, st.one_of(TEXT, st.sampled_from(["item.created", "item.renamed", "item.item_renamed", "x"]))),
    "version": mostly(st.integers(0, 100), INT32),
    "codes": mostly(
        st.tuples(ERROR_CODES, ERROR_CODES).filter(lambda c: c[0] != c[1]),
        st.tuples(st.one_of(TEXT, st.just("OUT_OF_STOCK")), st.one_of(TEXT, st.just("OUT_OF_STOCK"))),
    ),
    "timeout": mostly(SECONDS, INT32),
    "ttl": mostly(SECONDS, INT32),
    "same_aggregate": mostly(st.just(True), st.just(False)),
    "second": mostly(st.just("Stock"), st.one_of(st.sampled_from(["Stock", "ItemBase", "Item", "item", "ITEM", "Item_"]), IDENTIFIERS)),
}


@SETTINGS
@given(**DOMAIN_OPTIONS)
# Found by fuzzing: aggregate '_' became module '' (`aggregates/.py`, `repositories.` in bootstrap.py).
@example(aggregate="_", event_type="", version=0, codes=("", "OUT_OF_STOCK"), timeout=0, ttl=0, same_aggregate=True, second="Stock")
# Item's generated base module is ItemBase's scaffold (`aggregates/item_base.py`): one overwrote the other.
@example(aggregate="Item", event_type="", version=1, codes=("A", "B"), timeout=0, ttl=0, same_aggregate=True, second="ItemBase")
# Found by fuzzing: option text was quoted raw, so a line break split the one-line diagnostic.
@example(aggregate="A1", event_type="", version=0, codes=("\r", "\r"), timeout=0, ttl=0, same_aggregate=False, second="Stock")
def test_fuzzed_domain_options(
    aggregate: str,
    event_type: str,
    version: int,
    codes: tuple[str, str],
    timeout: int,
    ttl: int,
    same_aggregate: bool,
    second: str,
) -> None:
    domain_generates(aggregate, event_type, version, codes, timeout, ttl, same_aggregate, second)


def domain_generates(
    aggregate: str, event_type: str, version: int, codes: tuple[str, str], timeout: int, ttl: int, same_aggregate: bool, second: str
) -> bool:
    command_aggregate = aggregate if same_aggregate else "Item"
    return check_generation(domain_proto(aggregate, event_type, version, codes, timeout, ttl, command_aggregate, second))


@pytest.mark.parametrize(("options", "run"), [(SERVICE_OPTIONS, generates), (DOMAIN_OPTIONS, domain_generates)], ids=["service", "domain"])
def test_most_fuzzed_examples_generate(options: dict[str, st.SearchStrategy[object]], run: Callable[..., bool]) -> None:
    """The strategies are steered: an example that generates exercises the whole pipeline, one refused only the checks."""
    outcomes: list[bool] = []

    @settings(max_examples=40, deadline=None, database=None, derandomize=True, phases=[Phase.generate])
    @given(**options)
    def draw(**values: object) -> None:
        outcomes.append(run(**values))

    draw()
    assert sum(outcomes) > 0.5 * len(outcomes), f"{sum(outcomes)} of {len(outcomes)} examples generated"


def names_proto(message: str, fields: list[tuple[str, str]], values: list[str], rpc: str, aggregate: bool) -> str:
    body = "\n".join(f"  {kind} {name} = {number};" for number, (name, kind) in enumerate(fields, start=1))
    enum_values = "\n".join(f"  {name} = {number};" for number, name in enumerate(values))
    option = '  option (potter.aggregate) = {};\n' if aggregate else ""
    return f"""syntax = "proto3";
package fuzz.names.v1;

import "google/protobuf/timestamp.proto";
import "potter/options.proto";

service NamesService {{
  option (potter.service) = {{ module_name: "names" }};

  rpc {rpc}({message}) returns ({message}) {{
    option (potter.command) = {{}};
  }}

  rpc Get{message}(Get{message}Request) returns ({message}) {{
    option (potter.query) = {{}};
  }}
}}

enum Colour {{
{enum_values}
}}

message {message} {{
{option}  string id = 1000;
{body}
}}

message Get{message}Request {{
  string id = 1;
}}
"""


@SETTINGS
@given(
    message=IDENTIFIERS,
    fields=st.lists(st.tuples(IDENTIFIERS, FIELD_TYPES), max_size=4, unique_by=lambda f: f[0].lower()),
    values=st.lists(IDENTIFIERS, min_size=1, max_size=3, unique=True),
    rpc=IDENTIFIERS,
    aggregate=st.booleans(),
    layer=st.sampled_from([Layer.SERVICE, Layer.SDK]),
)
# Found by fuzzing: a message named `_` (an aggregate, inferred from GetX returning it) became module '';
# one named `False` became `class False(Message)`.
@example(message="_", fields=[], values=["A1"], rpc="A1", aggregate=False, layer=Layer.SERVICE)
@example(message="False", fields=[], values=["A1"], rpc="A1", aggregate=False, layer=Layer.SERVICE)
# Found by fuzzing: an RPC named `_` got the handler module '' (`from ...commands. import`).
@example(message="A1", fields=[], values=["Exception"], rpc="_", aggregate=False, layer=Layer.SERVICE)
def test_fuzzed_names(
    message: str, fields: list[tuple[str, str]], values: list[str], rpc: str, aggregate: bool, layer: Layer
) -> None:
    check_generation(names_proto(message, fields, values, rpc, aggregate), layer=layer)
