"""The typed, immutable model (IR) every template reads.

Frozen dataclasses only: services, RPCs and their role, messages, fields,
enums, aggregates, events, error events and value objects, each with the
source location and comment of the proto element it came from. Built and
validated by `build.py`; no logic beyond small derived properties.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import cached_property

from potter_gen import naming
from potter_gen.errors import Diagnostic, ProtoLocation
from potter_gen.options import CommandOptions, QueryOptions


class Role(enum.Enum):
    """What an RPC does: a command changes state, a query reads it."""

    COMMAND = "command"
    QUERY = "query"


class StandardMethod(enum.Enum):
    """AIP standard methods (AIP-131 to AIP-135)."""

    GET = "get"  # AIP-131
    LIST = "list"  # AIP-132
    CREATE = "create"  # AIP-133
    UPDATE = "update"  # AIP-134
    DELETE = "delete"  # AIP-135


class FieldKind(enum.Enum):
    """How a field's type is represented."""

    SCALAR = "scalar"
    ENUM = "enum"
    MESSAGE = "message"
    MAP = "map"


class MessageRole(enum.Enum):
    """What a potter option (or none) makes of a message."""

    AGGREGATE = "aggregate"
    EVENT = "event"
    ERROR_EVENT = "error_event"
    VALUE_OBJECT = "value_object"
    PLAIN = "plain"


@dataclass(frozen=True)
class Field:
    """One message field.

    Attributes:
        name: the proto field name (`item_id`).
        python_name: the attribute name in generated models (keywords escaped).
        json_name: the proto3 JSON name (`itemId`), used as the JSON alias.
        number: the field number.
        kind: scalar, enum, message or map.
        proto_type: scalar type name (`string`, `int64`, ...) or the
            fully-qualified type name with a leading dot.
        annotation: the Python annotation (`list[Item]`, `str | None`).
        default: the Python default expression (`""`, `0`, `None`).
        default_factory: `list` or `dict` when the default is a container.
        is_repeated: a repeated (or map) field.
        is_optional: a proto3 `optional` field or a singular message field.
        type_class: the generated class of an enum or message type ("" otherwise).
        oneof: the name of the `oneof` the field belongs to ("" if none).
        comment: the field's proto comment.
        location: where the field is declared.
    """

    name: str
    python_name: str
    json_name: str
    number: int
    kind: FieldKind
    proto_type: str
    annotation: str
    default: str
    default_factory: str
    is_repeated: bool
    is_optional: bool
    type_class: str
    comment: str
    location: ProtoLocation
    oneof: str = ""


@dataclass(frozen=True)
class EnumValue:
    """One value of an enum: `name` is the Python member (keywords escaped), `proto_name` its JSON value."""

    name: str
    number: int
    comment: str
    proto_name: str = ""


@dataclass(frozen=True)
class Enum:
    """A proto enum, generated as a `potter_runtime.messages.ProtoEnum` of its value names (proto3 JSON)."""

    name: str
    full_name: str
    class_name: str
    values: tuple[EnumValue, ...]
    comment: str
    location: ProtoLocation

    @property
    def proto_numbers(self) -> tuple[tuple[str, int], ...]:
        """Return (proto value name, number) of every value, aliases included, in declaration order."""
        return tuple((v.proto_name, v.number) for v in self.values)

    def member_value(self, value: EnumValue) -> str:
        """Return the JSON name `value` is written as: the first name with its number (protobuf writes aliases so)."""
        return next(v.proto_name for v in self.values if v.number == value.number)


@dataclass(frozen=True)
class Message:
    """A proto message, generated as a pydantic model.

    Attributes:
        full_name: fully-qualified name with protobuf's leading dot.
        class_name: the generated class name.
        role: aggregate, event, error event, value object or plain.
        is_domain: True when it lives in `domain/models.py` (everything the
            domain uses); False for RPC request/response models.
        proto_file: the `.proto` file that declares it ("" when synthesized).
        dependencies: class names of the messages and enums its fields use.
    """

    name: str
    full_name: str
    class_name: str
    fields: tuple[Field, ...]
    role: MessageRole
    is_domain: bool
    proto_file: str
    comment: str
    location: ProtoLocation
    dependencies: tuple[str, ...] = ()

    def field(self, name: str) -> Field | None:
        """Return the field called `name` (proto name), or None."""
        return next((f for f in self.fields if f.name == name), None)

    def field_by_python_name(self, python_name: str) -> Field | None:
        """Return the field whose Python attribute is `python_name`, or None."""
        return next((f for f in self.fields if f.python_name == python_name), None)

    @property
    def oneofs(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Return each `oneof` as (name, python names of its fields), in declaration order."""
        groups: dict[str, list[str]] = {}
        for f in self.fields:
            if f.oneof:
                groups.setdefault(f.oneof, []).append(f.python_name)
        return tuple((name, tuple(members)) for name, members in groups.items())


@dataclass(frozen=True)
class Event:
    """A domain event recorded by an aggregate.

    Attributes:
        message: the event's message (synthesized when `is_declared` is False).
        event_type: envelope type, e.g. `item.created`.
        aggregate: the aggregate's name.
        version: event schema version.
        is_declared: False when potter-gen synthesized the event because a
            standard method needs one the proto does not declare.
        kind: the standard change it records (`created`, `updated`,
            `deleted`) or "" for any other event.
        id_field: python name of the field carrying the aggregate id ("" if none).
        applied_fields: python names of the fields copied onto the
            aggregate's state when the event is applied.
        handler_name: name of the aggregate method that applies it.
    """

    message: Message
    event_type: str
    aggregate: str
    version: int
    is_declared: bool
    kind: str
    id_field: str
    applied_fields: tuple[str, ...]
    handler_name: str

    @property
    def class_name(self) -> str:
        """Return the generated class name of the event."""
        return self.message.class_name


@dataclass(frozen=True)
class Aggregate:
    """An event-sourced aggregate root.

    Attributes:
        name: aggregate name (`Item`).
        state: the aggregate's message, generated as its state model.
        repository: requested storage backend ("" for the default).
        module: snake_case module name (`item`).
        class_name: the aggregate class (`ItemAggregate`).
        collection: AIP-122 collection id used in REST paths (`items`).
        id_field: python name of the state field holding the id ("" if none).
        events: the events it records, declared ones first.
    """

    name: str
    state: Message
    repository: str
    module: str
    class_name: str
    collection: str
    id_field: str
    events: tuple[Event, ...]
    location: ProtoLocation

    def event(self, kind: str) -> Event | None:
        """Return the event recording the standard change `kind`, or None."""
        return next((e for e in self.events if e.kind == kind), None)


@dataclass(frozen=True)
class ErrorEvent:
    """A typed domain error, generated as a `DomainError` subclass."""

    message: Message
    class_name: str
    error_code: str
    retryable: bool


@dataclass(frozen=True)
class Assignment:
    """`target=source` in generated code: a keyword argument or attribute."""

    target: str
    source: str


@dataclass(frozen=True)
class HttpRule:
    """How an RPC is served over REST.

    Attributes:
        method: HTTP method (`POST`, `GET`, `PATCH`, `DELETE`).
        path: route path with `{id}` placeholders (`/api/v1/items/{id}`).
        status_code: success status (201 for create, else 200).
        path_field: python name of the request field bound to `{id}` ("" if none).
        has_body: the request message is read from the JSON body; otherwise
            its scalar fields come from query parameters.
    """

    method: str
    path: str
    status_code: int
    path_field: str
    has_body: bool


@dataclass(frozen=True)
class StandardPlan:
    """The working default implementation of a standard method's handler.

    Expressions in `event_args` and `response_args` read the names `request`,
    `aggregate`, `page` and `filters` of the generated handler body. Get and
    List read the aggregate's state projection (`self.states`), never events.
    `page_args` are the keyword arguments of `self.states.page(...)` (or `page_with_total`)
    (`page_size`, `page_token`, `page_number`); `filter_args` map state fields
    to the List request fields that filter them by equality.
    """

    method: StandardMethod
    aggregate: Aggregate
    id_source: str
    event: Event | None
    event_args: tuple[Assignment, ...]
    response_args: tuple[Assignment, ...]
    page_args: tuple[Assignment, ...]
    round_trip_fields: tuple[str, ...] = field(default=())
    update_paths_call: str = ""
    """Update only: the `update_paths(...)` call whose result, `paths`, the event arguments read (AIP-134)."""
    filter_args: tuple[Assignment, ...] = field(default=())

    @property
    def uses_page(self) -> bool:
        """Tell whether the response reads the `page` of a List."""
        return any(re.search(r"\bpage\b", a.source) for a in self.response_args)

    @property
    def page_method(self) -> str:
        """Name the `self.states` method a List calls: `page_with_total` when the response reads `page.total`."""
        return "page_with_total" if any(a.source == "page.total" for a in self.response_args) else "page"


@dataclass(frozen=True)
class Rpc:
    """One RPC of a service, with its role and how it is served.

    Attributes:
        role: command or query.
        is_role_inferred: True when neither option was given and the role
            came from the RPC's name (AIP standard method names).
        aggregate: the aggregate it acts on ("" if none).
        standard: the AIP standard method it is, or None.
        plan: the default implementation of a standard method, or None.
        module: snake_case name of the handler module, route function,
            container attribute and SDK method (`create_item`).
        python_name: PascalCase stem of its handler classes and its OpenAPI
            operationId: the RPC's name, prefixed with its service's
            (`TestServiceUnimplementedCall`) when RPCs of several services
            share a Python name, as protobuf scopes RPC names per service.
    """

    name: str
    service: str
    role: Role
    is_role_inferred: bool
    request: Message
    response: Message
    aggregate: str
    standard: StandardMethod | None
    plan: StandardPlan | None
    http: HttpRule
    command_options: CommandOptions | None
    query_options: QueryOptions | None
    client_streaming: bool
    server_streaming: bool
    module: str
    python_name: str
    comment: str
    location: ProtoLocation

    @property
    def aggregate_module(self) -> str:
        """Return the snake_case name of its aggregate ("" if none)."""
        return naming.snake_case(self.aggregate) if self.aggregate else ""

    @property
    def handler_class(self) -> str:
        """Return the scaffold handler class name (`CreateItemHandler`)."""
        return f"{self.python_name}Handler"

    @property
    def base_class(self) -> str:
        """Return the generated handler base class name (`CreateItemHandlerBase`)."""
        return f"{self.python_name}HandlerBase"

    @property
    def base_kind(self) -> str:
        """Return the runtime handler base: `ServerStreamHandler`, `CommandHandler` or `QueryHandler`."""
        if self.server_streaming:
            return "ServerStreamHandler"
        return "CommandHandler" if self.role is Role.COMMAND else "QueryHandler"

    @property
    def is_async(self) -> bool:
        """Tell whether it is an async command (`(potter.command).async`): answered 202 with an operation.

        A server-streaming RPC never is: it answers its stream itself.
        """
        return self.command_options is not None and self.command_options.is_async and not self.server_streaming

    @property
    def success_status(self) -> int:
        """Return the HTTP status of its success answer: 202 (Accepted) for an async command, else `http.status_code`."""
        return 202 if self.is_async else self.http.status_code

    @property
    def package(self) -> str:
        """Return the application sub-package of the handler (`commands`/`queries`)."""
        return "commands" if self.role is Role.COMMAND else "queries"


@dataclass(frozen=True)
class Service:
    """A proto service."""

    name: str
    full_name: str
    transports: tuple[str, ...]
    rpcs: tuple[Rpc, ...]
    proto_file: str
    comment: str
    location: ProtoLocation


@dataclass(frozen=True)
class Project:
    """Everything one run generates: one Python package.

    Attributes:
        package: the Python package name.
        proto_files: the proto names generated from, in command-line order.
        services: services of those files.
        enums: every enum the generated models use.
        messages: every message the generated models use, dependencies first.
        aggregates: aggregates, in declaration order.
        error_events: error events, in declaration order.
        transports: transports served (normalised names, e.g. `REST`).
        title: human title for docs and OpenAPI.
        diagnostics: warnings and notes found while building.
    """

    package: str
    proto_files: tuple[str, ...]
    services: tuple[Service, ...]
    enums: tuple[Enum, ...]
    messages: tuple[Message, ...]
    aggregates: tuple[Aggregate, ...]
    error_events: tuple[ErrorEvent, ...]
    transports: tuple[str, ...]
    title: str
    diagnostics: tuple[Diagnostic, ...] = ()

    @cached_property
    def rpcs(self) -> tuple[Rpc, ...]:
        """Return every RPC of every service, in declaration order."""
        return tuple(rpc for service in self.services for rpc in service.rpcs)

    @cached_property
    def domain_messages(self) -> tuple[Message, ...]:
        """Return the messages generated in `domain/models.py`."""
        return tuple(m for m in self.messages if m.is_domain)

    @cached_property
    def application_messages(self) -> tuple[Message, ...]:
        """Return the request/response messages of `application/messages.py`."""
        return tuple(m for m in self.messages if not m.is_domain)

    @cached_property
    def api_messages(self) -> tuple[Message, ...]:
        """Return the messages an API client sees: RPC requests and responses and what they use, dependencies first."""
        by_class = {m.class_name: m for m in self.messages}
        wanted: set[str] = set()
        pending = [name for rpc in self.rpcs for name in (rpc.request.class_name, rpc.response.class_name)]
        while pending:
            name = pending.pop()
            if name in by_class and name not in wanted:
                wanted.add(name)
                pending.extend(by_class[name].dependencies)
        return tuple(m for m in self.messages if m.class_name in wanted)

    @cached_property
    def api_enums(self) -> tuple[Enum, ...]:
        """Return the enums the `api_messages` use."""
        used = {name for m in self.api_messages for name in m.dependencies}
        return tuple(e for e in self.enums if e.class_name in used)

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """Return every event of every aggregate."""
        return tuple(e for a in self.aggregates for e in a.events)

    @cached_property
    def application_class_names(self) -> frozenset[str]:
        """Return the class names defined in `application/messages.py`."""
        return frozenset(m.class_name for m in self.application_messages)

    @cached_property
    def event_by_message(self) -> dict[str, Event]:
        """Return each event by the fully-qualified name of its message (leading dot)."""
        return {e.message.full_name: e for e in self.events}
