"""The only casing and identifier code: snake/Pascal/camel case, plurals,
reserved words and Python package names. Pure functions.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# fullmatch, never `$`: `$` also matches before a trailing newline ("inventory\n").
_PACKAGE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# v1, v1beta2, v1p1beta1 (Google's point releases), v2alpha.
_VERSION_SEGMENT = re.compile(r"^v\d+(p\d+)?((alpha|beta)\d*)?(p\d+)?$")

_BUILTINS = frozenset(dir(builtins))
_STDLIB_AND_BUILTINS = frozenset(sys.stdlib_module_names) | _BUILTINS
# Attributes pydantic's BaseModel already defines (a field must not shadow them).
_MODEL_ATTRIBUTES = frozenset(
    "construct copy dict from_orm json parse_file parse_obj parse_raw schema"
    " schema_json update_forward_refs validate".split()
)


def snake_case(name: str) -> str:
    """Return `name` in snake_case: `GetItemID` → `get_item_id`, `HTTPServer` → `http_server`."""
    return _WORD_BOUNDARY.sub("_", name.replace("-", "_")).lower().strip("_").replace("__", "_")


def pascal_case(name: str) -> str:
    """Return `name` in PascalCase: `item_read_model` → `ItemReadModel`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def camel_case(name: str) -> str:
    """Return `name` in lowerCamelCase: `product_category` → `productCategory`."""
    pascal = pascal_case(snake_case(name))
    return pascal[:1].lower() + pascal[1:]


def plural(word: str) -> str:
    """Return the English plural of a lower-case noun (`category` → `categories`)."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def collection_id(resource: str) -> str:
    """Return the AIP-122 collection identifier of a resource type name.

    `Item` → `items`, `ProductCategory` → `productCategories` (plural,
    lowerCamelCase, as AIP-122 asks).
    """
    words = snake_case(resource).split("_")
    words[-1] = plural(words[-1])
    return camel_case("_".join(words))


def python_identifier(name: str) -> str:
    """Return `name` as a safe attribute name: keywords and pydantic's own names get a trailing `_`."""
    if keyword.iskeyword(name) or name in _MODEL_ATTRIBUTES or name.startswith("model_"):
        return name + "_"
    return name


def field_attribute(name: str, class_names: frozenset[str] = frozenset()) -> str:
    """Return the attribute of proto field `name` in a generated pydantic model.

    A trailing `_` escapes what `python_identifier` escapes and every name a
    model's class body or its module reads (`MODEL_SCOPE_NAMES`: `float`,
    `datetime`, `Field`, ...) or a class of the project (`class_names`): an
    attribute `float` bound in the class would be what the annotation
    `float | None` of any field finds (protobuf names are scoped per
    message, Python's class bodies are not). A leading `_` would make it a
    pydantic private attribute, so `_x` becomes `field_x`. The JSON name is
    unaffected (it is the field's alias).
    """
    if name.startswith("_"):
        name = "field" + name
    if name in MODEL_SCOPE_NAMES or name in class_names:
        return name + "_"
    return python_identifier(name)


def enum_member(name: str) -> str:
    """Return the `StrEnum` member of proto enum value `name`.

    A trailing `_` escapes keywords and `str`'s own attributes (a member
    `upper` would override `str.upper`, and `mro` is refused by `enum`); a
    leading `_` (private or `_sunder_` names, which `enum` does not take as
    members) gets the prefix `value`. The JSON value stays the proto name.
    """
    if name.startswith("_"):
        name = "value" + name
    if keyword.iskeyword(name) or name in _STR_ATTRIBUTES:
        return name + "_"
    return name


def rpc_module(rpc_name: str) -> str:
    """Return the Python name of an RPC's handler module, route function, container attribute and SDK method.

    snake_case of the name; a trailing `_` escapes what `python_identifier`
    escapes, the names those scopes already hold (`RPC_SCOPE_NAMES`: the
    client's `close`, the container's `settings`, the routes module's
    `router`, ...) and the names their annotations read (`MODEL_SCOPE_NAMES`:
    a route function `list` would be what `list[str]` finds).
    """
    module = python_identifier(snake_case(rpc_name))
    return module + "_" if module in RPC_SCOPE_NAMES or module in MODEL_SCOPE_NAMES else module


def is_package_name(name: str) -> bool:
    """Tell whether `name` is usable as a Python package: lower-case identifier, no keyword (PEP 8)."""
    return (
        bool(_PACKAGE_NAME.fullmatch(name))
        and not keyword.iskeyword(name)
        and name not in _STDLIB_AND_BUILTINS
    )


def is_module_name(name: str) -> bool:
    """Tell whether `name` can be a Python module of the generated code: an ASCII identifier, no keyword."""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def package_from_proto_package(proto_package: str) -> str:
    """Derive a package name from a proto package: `grpc.health.v1` → `health`.

    Version segments (`v1`, `v1beta2`) are dropped; the last remaining
    segment is taken, in snake_case. Returns "" when nothing is left.
    """
    segments = [s for s in proto_package.split(".") if s and not _VERSION_SEGMENT.match(s)]
    return snake_case(segments[-1]) if segments else ""


#: Names the generated modules import or define at module level. A proto type
#: with one of these names would shadow them, so the builder prefixes it with
#: its package (`Query` in `acme.library.v1` → `LibraryQuery`).
GENERATED_CODE_NAMES = frozenset(
    {
        "APIRouter", "AggregateRoot", "AliasChoices", "Annotated", "Any", "ApiError", "AsyncClient",
        "AsyncIterator", "Awaitable", "Callable", "ClassVar", "Client", "CommandHandler", "Container",
        "ContainerDep", "Depends", "Exchange", "ExchangeDep", "DomainError", "DomainEvent", "Duration", "EventSourcedRepository",
        "EventStore", "FastAPI", "Field", "Int64", "Iterator", "Message", "NotImplementedRpcError", "Path", "ProtoEnum",
        "AnyMessage", "Bool", "Bytes", "Double", "EmptyValue", "FieldMask", "Float", "Int32", "Timestamp", "UInt32", "UInt64",
        "Query", "QueryHandler", "Repository", "Request", "RetryPolicy", "Route", "Self",
        "ServerStreamHandler", "ServiceSettings", "Settings", "SqlEventStore", "SqliteEventStore", "StreamingResponse", "T",
        "TestClient", "TypeVar", "ValueObject",
        # Lower-case names imported or defined at module level of a generated file.
        "annotations", "asynccontextmanager", "asyncio", "build_container", "build_repositories", "check_oneof",
        "create_app", "dataclass", "datetime", "enum", "get_container", "httpx", "install_error_handlers",
        "model_validator", "models", "ndjson_response", "paginate", "pytest", "router", "routes", "sqlite3",
        "uvicorn", "ERRORS",
    }
)

#: Names a generated model's class body or module reads besides its own
#: fields: the builtins and names its annotations use, the `ClassVar`s of
#: `potter_runtime.messages.DomainEvent`, and `container`, the parameter of
#: every REST route beside the query parameters taken from fields.
MODEL_SCOPE_NAMES = GENERATED_CODE_NAMES | frozenset(
    "bool bytes dict float frozenset int list object set str tuple type"
    " event_type event_version aggregate_type container exchange".split()
)

#: Names already held where an RPC's snake_case name goes: the routes module
#: (`router`, `get_container`, ...), the `Container` dataclass (`settings`,
#: `event_store`, `start`, `stop`, `operations`) and the SDK's `Client`/`AsyncClient`
#: (`close`, `aclose`, `errors`, `retry`, `fetch_operation`, `wait`).
RPC_SCOPE_NAMES = frozenset(
    (
        "router get_container ndjson_response settings event_store start stop close aclose errors retry"
        " states read_models projections buses events migrations_dir rebuildable_projections"
        " operations fetch_operation wait"
    ).split()
)

_STR_ATTRIBUTES = frozenset(dir(str)) | {"mro"}


def is_reserved_class_name(name: str) -> bool:
    """Tell whether a proto type named `name` cannot keep it as its Python class name.

    True for the names the generated code imports (`GENERATED_CODE_NAMES`),
    Python keywords (`class None(...)` does not parse) and builtins (a
    message named `list` or `str` would shadow the annotations that use them).
    """
    return name in GENERATED_CODE_NAMES or keyword.iskeyword(name) or name in _BUILTINS
