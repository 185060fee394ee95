"""Render the IR into an `OutputTree`: relative path → (text, FileKind).

Jinja environment (StrictUndefined, trim_blocks, lstrip_blocks,
keep_trailing_newline, no autoescape) over the shipped templates, driven by
the `targets` table; Python-side helpers compute every name, type and
literal so templates only print them. No I/O besides reading templates; the
text is formatted by `format.py` before it is returned.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import jinja2

from potter_gen import __version__, resources, samples, typemap
from potter_gen.format import format_sources
from potter_gen.ir import Field, FieldKind, Message, Project, Rpc, StandardMethod
from potter_gen.naming import pascal_case
from potter_gen.read_models import (
    CORE_REVISION,
    OPERATIONS_REVISION,
    ReadModel,
    ReadModelQuery,
    StateIndex,
    plan_read_models,
    read_model_query,
    state_indexes,
)
from potter_gen.subscribers import EventSubscriber, plan_subscribers, subscriber_tests
from potter_gen.targets import TARGETS, FanOut, FileKind, Layer, Target


@dataclass(frozen=True)
class OutputFile:
    """One rendered file: its text and who owns it after it is written."""

    text: str
    kind: FileKind


OutputTree = dict[str, OutputFile]


def py_string(text: str) -> str:
    """Return `text` as a double-quoted Python string literal (JSON escaping is valid Python)."""
    return json.dumps(text, ensure_ascii=False)


def comment_text(text: str) -> str:
    """Return a proto comment as its author wrote it: common indentation and surrounding blank lines removed."""
    return textwrap.dedent(text).strip()


def docstring(text: str, fallback: str = "") -> str:
    """Return a triple-quoted docstring of a proto comment, escaped so it parses as written."""
    body = comment_text(text or fallback).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if "\n" in body:
        return f'"""{body}\n"""'
    if body.endswith('"'):
        # A quote right before the closing quotes would end the string early;
        # an unescaped quote and a space is the one form black and ruff both
        # keep as it is (each rewrites an escaped final quote its own way).
        if (len(body[:-1]) - len(body[:-1].rstrip("\\"))) % 2:
            body = body[:-2] + '"'
        body += " "
    return f'"""{body}"""'


def field_declaration(field: Field) -> str:
    """Return the pydantic field declaration `name: annotation = default` of a proto field.

    When the proto3 JSON name (or the proto name) differs from the Python
    attribute, parsers accept both names and output uses the JSON name
    (proto3 JSON mapping, "JSON Mapping" in the protobuf language guide).
    """
    args = []
    if field.default_factory:
        args.append(f"default_factory={field.default_factory}")
    else:
        args.append(f"default={field.default}")
    if field.json_name != field.python_name or field.name != field.python_name:
        choices = ", ".join(py_string(n) for n in dict.fromkeys((field.json_name, field.name)) if n != field.python_name)
        args.append(f"validation_alias=AliasChoices({choices})")
        args.append(f"serialization_alias={py_string(field.json_name)}")
    if len(args) == 1 and not field.default_factory:
        return f"{field.python_name}: {field.annotation} = {field.default}"
    return f"{field.python_name}: {field.annotation} = Field({', '.join(args)})"


def uses_aliases(messages: Iterable[Message]) -> bool:
    """Tell whether any field of `messages` needs `AliasChoices`."""
    return any("AliasChoices" in field_declaration(f) for m in messages for f in m.fields)


def uses_field(messages: Iterable[Message]) -> bool:
    """Tell whether any field of `messages` needs pydantic's `Field(...)`."""
    return any("Field(" in field_declaration(f) for m in messages for f in m.fields)


def annotations_text(messages: Iterable[Message]) -> str:
    """Return every annotation of `messages`, joined, to test which imports they need."""
    return " ".join(f.annotation for m in messages for f in m.fields)


RUNTIME_TYPES = typemap.RUNTIME_TYPES


def runtime_message_imports(messages: Iterable[Message], bases: Iterable[str]) -> str:
    """Return the names a models module imports from `potter_runtime.messages`, comma-separated.

    Args:
        messages: the messages the module defines.
        bases: the base classes it uses (`Message`, `ValueObject`, `DomainEvent`).
    """
    messages = list(messages)
    used = set(re.findall(r"[A-Za-z_]\w*", annotations_text(messages)))
    names = set(bases) | {name for name in RUNTIME_TYPES if name in used}
    if any(m.oneofs for m in messages):
        names.add("check_oneof")
    return ", ".join(sorted(names, key=str.lower))


@dataclass(frozen=True)
class QueryParam:
    """A scalar request field read from the query string of a GET/DELETE route."""

    python_name: str
    annotation: str
    alias: str
    default: str


def query_params(rpc: Rpc) -> tuple[QueryParam, ...]:
    """Return the request fields a body-less route reads from query parameters."""
    params = []
    for field in rpc.request.fields:
        if field.python_name == rpc.http.path_field or field.kind not in (FieldKind.SCALAR, FieldKind.ENUM):
            continue
        # A query string carries text: a bool parameter reads "true"/"false" (FastAPI's bool), not JSON's true.
        annotation = re.sub(r"\bBool\b", "bool", field.annotation)
        if field.is_repeated:
            params.append(QueryParam(field.python_name, f"{annotation} | None", field.json_name, "None"))
        else:
            params.append(QueryParam(field.python_name, annotation, field.json_name, field.default))
    return tuple(params)


def route_enum_imports(project: Project) -> list[str]:
    """Return the enum classes used by query parameters of body-less routes, sorted."""
    enum_names = {e.class_name for e in project.enums}
    return sorted(
        {
            name
            for rpc in project.rpcs
            if not rpc.http.has_body
            for param in query_params(rpc)
            for name in enum_names
            if name in param.annotation.replace("[", " ").replace("]", " ").replace("|", " ").split()
        }
    )


def route_runtime_imports(project: Project) -> list[str]:
    """Return the `potter_runtime.messages` types that query parameters of body-less routes use, sorted."""
    used = {
        name
        for rpc in project.rpcs
        if not rpc.http.has_body
        for param in query_params(rpc)
        for name in re.findall(r"[A-Za-z_]\w*", param.annotation)
    }
    return sorted(used & set(RUNTIME_TYPES))


@dataclass(frozen=True)
class HandlerImports:
    """The message classes a handler module imports, each list sorted.

    Attributes:
        application: from `application/messages.py` (requests, responses).
        domain: from `domain/models.py` (messages reused as a request or
            response, and the event the handler records).
    """

    application: list[str]
    domain: list[str]


def handler_imports(project: Project, rpc: Rpc) -> HandlerImports:
    """Return the message classes the handler module of `rpc` imports (O(1) in the project's size)."""
    used = {rpc.request.class_name, rpc.response.class_name}
    application = used & project.application_class_names
    domain = used - application
    if rpc.plan and rpc.plan.event:
        domain.add(rpc.plan.event.class_name)
    # Case-insensitive first, as Jinja's `sort` filter ordered them before.
    return HandlerImports(sorted(application, key=_import_order), sorted(domain, key=_import_order))


@dataclass(frozen=True)
class Storage:
    """What the service stores beside its events and what reacts to them, computed once per render.

    Attributes:
        read_models: the named read models (`read_models.py`).
        state_indexes: the state projection's indexes.
        subscribers: the event subscribers (`subscribers.py`).
    """

    read_models: tuple[ReadModel, ...]
    state_indexes: tuple[StateIndex, ...]
    subscribers: tuple[EventSubscriber, ...]

    @classmethod
    def of(cls, project: Project) -> Storage:
        """Plan the storage of `project`."""
        return cls(plan_read_models(project), state_indexes(project), plan_subscribers(project))

    def query(self, rpc: Rpc) -> ReadModelQuery | None:
        """Return how `rpc` reads its named read model, or None."""
        return read_model_query(self.read_models, rpc)

    def base_params(self, rpc: Rpc) -> list[tuple[str, str, str]]:
        """Return the dependencies `rpc`'s generated handler base takes: (parameter, annotation, bootstrap expression)."""
        params = []
        if rpc.aggregate:
            # Commands get the state projection too: a check across aggregates reads it, and a
            # handler the user wrote for a query keeps working when its RPC becomes a command.
            params.append(("repository", f"{rpc.aggregate}Repository", f"repositories.{rpc.aggregate_module}"))
            params.append(("states", f"{rpc.aggregate}States", f"states.{rpc.aggregate_module}"))
        if (query := self.query(rpc)) is not None:
            document = query.read_model.document.class_name
            params.append(("read_model", f"DocumentReadModel[{document}]", f"read_models.{query.read_model.name}"))
        return params

    @property
    def read_model_documents(self) -> list[str]:
        """Return the document classes of the named read models, sorted."""
        return sorted({m.document.class_name for m in self.read_models})


def _import_order(name: str) -> tuple[str, str]:
    return name.lower(), name


@dataclass(frozen=True)
class SampleCall:
    """A request the generated SDK test sends for one RPC, and the path it must reach.

    Attributes:
        request: Python expression building the request message.
        path: the expected URL path (the route with its path field filled).
    """

    request: str
    path: str


def sample_call(rpc: Rpc) -> SampleCall:
    """Return the sample request of `rpc` for the SDK tests: its path field set, the rest left at defaults."""
    field = next((f for f in rpc.request.fields if f.python_name == rpc.http.path_field), None)
    if field is None:
        return SampleCall(f"{rpc.request.class_name}()", rpc.http.path)
    value, text = ("7", "7") if field.annotation in typemap.INTEGER_TYPES else ('"sample-id"', "sample-id")
    path = rpc.http.path.replace("{" + field.python_name + "}", text)
    return SampleCall(f"{rpc.request.class_name}({field.python_name}={value})", path)


def imported_classes(messages: Iterable[Message], available: Iterable[str]) -> list[str]:
    """Return the class names from `available` that `messages` reference, sorted."""
    wanted = {name for m in messages for name in m.dependencies}
    return sorted(wanted & set(available))


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's own cache of compiled templates, in its per-user temp directory.

    Compiling our templates costs ~0.2 s, most of a small project's `init`;
    loading them from this cache costs ~10 ms. Entries are keyed by template
    path and checked against the template's source and the Python version, so
    a stale entry is never used. A cache that cannot be written is only slower.
    """

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _TemplateCache(pattern="potter-gen-%s.cache")
    except (OSError, RuntimeError):  # no private temp directory to be had
        return None


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.templates_dir())),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        py_string=py_string, comment_text=comment_text, docstring=docstring, field_declaration=field_declaration, query_params=query_params
    )
    env.globals.update(
        StandardMethod=StandardMethod,
        FileKind=FileKind,
        query_params=query_params,
        route_enum_imports=route_enum_imports,
        route_runtime_imports=route_runtime_imports,
        imported_classes=imported_classes,
        handler_imports=handler_imports,
        uses_aliases=uses_aliases,
        uses_field=uses_field,
        annotations_text=annotations_text,
        runtime_message_imports=runtime_message_imports,
        sample_call=sample_call,
    )
    return env


def _header(project: Project) -> str:
    return f"Code generated by potter-gen from {', '.join(project.proto_files)}. DO NOT EDIT."


def sdk_package(project: Project) -> str:
    """Return the import package of the project's client SDK (`library` → `library_client`)."""
    return f"{project.package}_client"


def client_class_name(project: Project) -> str:
    """Return the SDK's client class name: `LibraryClient` for package `library`.

    A proto type of the project may already hold that name (a message
    `Client` of package `library` becomes `LibraryClient` too); then `Api` is
    added until neither it nor its `Async…` twin is taken (`LibraryApiClient`).
    """
    taken = {m.class_name for m in project.messages} | {e.class_name for e in project.enums}
    name = f"{pascal_case(project.package)}Client"
    while name in taken or f"Async{name}" in taken:
        name = name[: -len("Client")] + "ApiClient"
    return name


def _expand(target: Target, project: Project, storage: Storage) -> Iterable[tuple[str, dict[str, object]]]:
    base = {"package": project.package, "sdk_package": sdk_package(project)}
    if target.fan_out is FanOut.PROJECT:
        yield target.path.format(**base), {}
    elif target.fan_out is FanOut.AGGREGATE:
        for aggregate in project.aggregates:
            yield target.path.format(**base, aggregate=aggregate.module), {"aggregate": aggregate}
    elif target.fan_out is FanOut.READ_MODEL:
        for read_model in storage.read_models:
            yield target.path.format(**base, read_model=read_model.name), {"read_model": read_model}
    elif target.fan_out is FanOut.SUBSCRIBER:
        for subscriber in storage.subscribers:
            yield target.path.format(**base, subscriber=subscriber.module), {"subscriber": subscriber}
    elif target.fan_out is FanOut.STATE_INDEX:
        for index in storage.state_indexes:
            yield target.path.format(**base, state_index=index.module), {"index": index}
    else:
        for rpc in project.rpcs:
            yield target.path.format(**base, rpc_package=rpc.package, rpc=rpc.module), {"rpc": rpc}


def render_project(project: Project, layer: Layer = Layer.SERVICE) -> OutputTree:
    """Render every target of `layer` (the service project or the client SDK) for `project`, formatted.

    Returns:
        Output path (POSIX, relative to the project or SDK directory) → file,
        sorted by path so the result is deterministic.

    Raises:
        FormatError: a rendered Python file does not parse (a potter-gen bug).
    """
    env = _environment()
    client = client_class_name(project)
    storage = Storage.of(project)
    lifecycles = samples.lifecycles(project)
    context = {
        "storage": storage,
        "core_revision": CORE_REVISION,
        "operations_revision": OPERATIONS_REVISION,
        "project": project,
        "header": _header(project),
        "generator_version": __version__,
        "lifecycles": lifecycles,
        "untested_rpcs": samples.untested_rpcs(project, storage.read_models),
        "read_model_tests": samples.read_model_tests(project, storage.read_models),
        "subscriber_tests": subscriber_tests(storage.subscribers, lifecycles),
        "standalone_rpcs": samples.standalone_rpcs(project),
        "error_samples": samples.error_samples(project),
        "sdk_package": sdk_package(project),
        "client_class": client,
        "async_client_class": f"Async{client}",
    }
    texts: dict[str, str] = {}
    kinds: dict[str, FileKind] = {}
    for target in TARGETS[layer]:
        template = env.get_template(target.template)
        for path, extra in _expand(target, project, storage):
            texts[path] = template.render(**context, **extra)
            kinds[path] = target.kind
    formatted = format_sources(texts)
    return {path: OutputFile(formatted[path], kinds[path]) for path in sorted(formatted)}
