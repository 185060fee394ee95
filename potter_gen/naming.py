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
        "ContainerDep", "Depends", "DomainError", "DomainEvent", "Duration", "EventSourcedRepository",
        "EventStore", "FastAPI", "Field", "Int64", "Iterator", "Message", "NotImplementedRpcError", "Path", "ProtoEnum",
        "AnyMessage", "Bool", "Bytes", "Double", "EmptyValue", "FieldMask", "Float", "Int32", "Timestamp", "UInt32", "UInt64",
        "Query", "QueryHandler", "Repository", "Request", "RetryPolicy", "Route", "Self",
        "ServerStreamHandler", "ServiceSettings", "Settings", "SqlEventStore", "StreamingResponse", "T",
        "TestClient", "TypeVar", "ValueObject",
    }
)


def is_reserved_class_name(name: str) -> bool:
    """Tell whether a proto type named `name` cannot keep it as its Python class name.

    True for the names the generated code imports (`GENERATED_CODE_NAMES`),
    Python keywords (`class None(...)` does not parse) and builtins (a
    message named `list` or `str` would shadow the annotations that use them).
    """
    return name in GENERATED_CODE_NAMES or keyword.iskeyword(name) or name in _BUILTINS
