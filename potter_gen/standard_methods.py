"""AIP standard methods: recognise them and plan their default handlers.

Rules (AIP-131 Get, AIP-132 List, AIP-133 Create, AIP-134 Update, AIP-135
Delete): an RPC named `<Verb><Resource>` (`List<Resources>` for List) whose
resource is an aggregate of the project, with the matching role, is a
standard method. Get, Update and Delete also need a request field carrying
the id (`id` or `<resource>_id`). Each gets a working default
implementation (`StandardPlan`) and a resource-oriented REST route; every
other RPC is served at `POST /api/v1/<collection>/<rpc_snake>`. Pure.
"""

from __future__ import annotations

from potter_gen import naming, typemap
from potter_gen.ir import (
    Aggregate,
    Assignment,
    Event,
    FieldKind,
    HttpRule,
    Message,
    Role,
    StandardMethod,
    StandardPlan,
)

API_PREFIX = "/api/v1"
_VERBS = {
    "Get": StandardMethod.GET,
    "List": StandardMethod.LIST,
    "Create": StandardMethod.CREATE,
    "Update": StandardMethod.UPDATE,
    "Delete": StandardMethod.DELETE,
}
_QUERY_VERBS = ("Get", "List", "BatchGet", "Search")
_EVENT_KINDS = {
    StandardMethod.CREATE: "created",
    StandardMethod.UPDATE: "updated",
    StandardMethod.DELETE: "deleted",
}
_PAST_TENSE = {"created": "created", "updated": "updated", "deleted": "deleted"}
_TOTAL_FIELDS = ("total", "total_size", "total_count")


def infer_role(rpc_name: str) -> Role:
    """Return the role an RPC name implies: Get/List/BatchGet/Search → query (AIP-131, 132, 231), else command."""
    for verb in _QUERY_VERBS:
        rest = rpc_name[len(verb) :]
        if rpc_name.startswith(verb) and (not rest or rest[0].isupper()):
            return Role.QUERY
    return Role.COMMAND


def event_kind(method: StandardMethod) -> str:
    """Return the event kind a standard command records ("" for queries)."""
    return _EVENT_KINDS.get(method, "")


def id_field_names(aggregate_name: str) -> tuple[str, str]:
    """Return the field names that carry an aggregate's id: `id`, `<aggregate>_id`."""
    return ("id", f"{naming.snake_case(aggregate_name)}_id")


def find_id_field(message: Message, aggregate_name: str) -> str:
    """Return the python name of the string field of `message` carrying the id, or ""."""
    for name in id_field_names(aggregate_name):
        field = message.field(name)
        if field is not None and field.annotation == "str":
            return field.python_name
    return ""


def match_standard_method(
    rpc_name: str, role: Role, request: Message, aggregates: dict[str, Aggregate]
) -> tuple[StandardMethod, Aggregate] | None:
    """Return the standard method and aggregate an RPC implements, or None.

    Args:
        rpc_name: the RPC's proto name (`CreateItem`).
        role: its role; Get/List must be queries, the others commands.
        request: its request message.
        aggregates: aggregates by name.
    """
    for verb, method in _VERBS.items():
        if not rpc_name.startswith(verb):
            continue
        noun = rpc_name[len(verb) :]
        for aggregate in aggregates.values():
            expected = naming.pascal_case(naming.collection_id(aggregate.name)) if method is StandardMethod.LIST else aggregate.name
            if noun != expected:
                continue
            wants_query = method in (StandardMethod.GET, StandardMethod.LIST)
            if wants_query != (role is Role.QUERY):
                return None
            needs_id = method in (StandardMethod.GET, StandardMethod.UPDATE, StandardMethod.DELETE)
            if needs_id and not find_id_field(request, aggregate.name):
                return None
            return method, aggregate
    return None


def aggregate_in_name(rpc_name: str, aggregates: dict[str, Aggregate]) -> str:
    """Return the aggregate whose name (or plural) the RPC name contains, longest first, or ""."""
    candidates = []
    for aggregate in aggregates.values():
        plural = naming.pascal_case(naming.collection_id(aggregate.name))
        if aggregate.name in rpc_name or plural in rpc_name:
            candidates.append(aggregate.name)
    return max(candidates, key=len, default="")


def http_rule(
    rpc_name: str,
    method: StandardMethod | None,
    request: Message,
    collection: str,
    id_field: str,
) -> HttpRule:
    """Return the REST route of an RPC.

    Standard methods map to resource routes: `POST /api/v1/items` (201),
    `GET /api/v1/items/{id}`, `GET /api/v1/items`, `PATCH /api/v1/items/{id}`
    (AIP-134 uses PATCH), `DELETE /api/v1/items/{id}`. Every other RPC is
    `POST /api/v1/<collection>/<rpc_snake>` with the request as JSON body.
    """
    base = f"{API_PREFIX}/{collection}"
    path_name = next((f.name for f in request.fields if f.python_name == id_field), id_field)
    item = f"{base}/{{{path_name}}}"
    if method is StandardMethod.CREATE:
        return HttpRule("POST", base, 201, "", True)
    if method is StandardMethod.GET:
        return HttpRule("GET", item, 200, id_field, False)
    if method is StandardMethod.LIST:
        return HttpRule("GET", base, 200, "", False)
    if method is StandardMethod.UPDATE:
        return HttpRule("PATCH", item, 200, id_field, True)
    if method is StandardMethod.DELETE:
        return HttpRule("DELETE", item, 200, id_field, False)
    return HttpRule("POST", f"{base}/{naming.snake_case(rpc_name)}", 200, "", True)


def _response_from_aggregate(response: Message, aggregate: Aggregate, verb: str) -> tuple[Assignment, ...]:
    """Map response fields to expressions over `aggregate` by name and type."""
    ids = id_field_names(aggregate.name)
    assignments = []
    for field in response.fields:
        state_field = aggregate.state.field(field.name)
        if field.kind is FieldKind.MESSAGE and not field.is_repeated and field.type_class == aggregate.state.class_name:
            source = "aggregate.state"
        elif field.name in ids and field.annotation == "str":
            source = "aggregate.id"
        elif state_field is not None and state_field.annotation == field.annotation:
            source = f"aggregate.state.{state_field.python_name}"
        elif verb and field.name == "message" and field.annotation == "str":
            source = f'"{aggregate.name} {verb}"'
        else:
            continue
        assignments.append(Assignment(field.python_name, source))
    return tuple(assignments)


def _event_args(event: Event, request: Message) -> tuple[Assignment, ...]:
    assignments = []
    for field in event.message.fields:
        if field.python_name == event.id_field:
            assignments.append(Assignment(field.python_name, "aggregate.id"))
            continue
        source = request.field(field.name)
        if source is not None and source.annotation == field.annotation:
            assignments.append(Assignment(field.python_name, f"request.{source.python_name}"))
    return tuple(assignments)


# List request fields with a meaning of their own (AIP-132, 158, 160): never state filters.
_LIST_CONTROL_FIELDS = frozenset({"page", "page_size", "page_token", "order_by", "filter", "skip", "show_deleted"})


def _list_filters(request: Message, aggregate: Aggregate) -> tuple[Assignment, ...]:
    """Return the state fields a List request filters by equality: same name and type, scalar or enum."""
    assignments = []
    for field in request.fields:
        state_field = aggregate.state.field(field.name)
        if (
            field.name in _LIST_CONTROL_FIELDS
            or field.name in id_field_names(aggregate.name)
            or field.is_repeated
            or field.kind not in (FieldKind.SCALAR, FieldKind.ENUM)
            or state_field is None
            or state_field.is_repeated
            or state_field.annotation != field.annotation
        ):
            continue
        assignments.append(Assignment(state_field.python_name, f"request.{field.python_name}"))
    return tuple(assignments)


def _list_response(response: Message, request: Message, aggregate: Aggregate) -> tuple[Assignment, ...]:
    assignments = []
    for field in response.fields:
        same_in_request = request.field(field.name)
        if field.is_repeated and field.type_class == aggregate.state.class_name:
            source = "page.items"
        elif field.name in _TOTAL_FIELDS and field.annotation in typemap.INTEGER_TYPES:
            source = "page.total"  # read with the page, in the same SELECT
        elif field.name == "next_page_token" and field.annotation == "str" and not field.is_repeated:
            source = "page.next_page_token"
        elif field.name in ("page", "page_size") and same_in_request is not None:
            source = f"request.{same_in_request.python_name}"
        else:
            continue
        assignments.append(Assignment(field.python_name, source))
    return tuple(assignments)


def _page_args(request: Message) -> tuple[Assignment, ...]:
    """Return the arguments of `self.states.page(...)` a List request carries (AIP-158 names, or a page number)."""
    wanted = {"page_size": ("Int32", "UInt32"), "page_token": ("str",), "page": ("Int32", "UInt32")}
    arguments = []
    for name, types in wanted.items():
        field = request.field(name)
        if field is not None and not field.is_repeated and field.annotation in types:
            arguments.append(Assignment("page_number" if name == "page" else name, f"request.{field.python_name}"))
    return tuple(arguments)


def plan_standard_method(
    method: StandardMethod, aggregate: Aggregate, request: Message, response: Message
) -> StandardPlan:
    """Return the default implementation of a standard method.

    Create and Update record the aggregate's created/updated event with every
    event field the request carries (same name and type); Delete records the
    deleted event; Get and List answer from the aggregate's state projection
    (List: AIP-158 pages, equality filters on request fields named like state fields).
    Response fields are filled by name and type from the aggregate's state.
    """
    kind = event_kind(method)
    event = aggregate.event(kind) if kind else None
    id_field = find_id_field(request, aggregate.name)
    id_source = f"request.{id_field}" if id_field else ""
    if method is StandardMethod.LIST:
        filters = _list_filters(request, aggregate)
        response_args = _list_response(response, request, aggregate)
        return StandardPlan(method, aggregate, "", None, (), response_args, _page_args(request), filter_args=filters)
    event_args = _event_args(event, request) if event else ()
    round_trip: tuple[str, ...] = ()
    if event is not None and method in (StandardMethod.CREATE, StandardMethod.UPDATE):
        round_trip = tuple(
            a.target for a in event_args if a.source.startswith("request.") and a.target in event.applied_fields
        )
    update_call = ""
    if event is not None and method is StandardMethod.UPDATE:
        update_call, event_args = _partial_update(aggregate, request, id_field, event_args)
    verb = _PAST_TENSE.get(kind, "")
    return StandardPlan(
        method, aggregate, id_source, event, event_args, _response_from_aggregate(response, aggregate, verb), (), round_trip, update_call
    )


def _partial_update(
    aggregate: Aggregate, request: Message, id_field: str, event_args: tuple[Assignment, ...]
) -> tuple[str, tuple[Assignment, ...]]:
    """Return the `update_paths(...)` call of an Update and its event arguments, keeping the state's value for what the request does not change.

    AIP-134: an Update changes the fields of its `update_mask` (a
    `google.protobuf.FieldMask` named so, AIP-161), else the fields present in
    the request; every other field keeps its current value.
    """
    mask = next(
        (f for f in request.fields if f.name == "update_mask" and f.proto_type == ".google.protobuf.FieldMask" and not f.is_repeated), None
    )
    arguments = [f"path_field={id_field!r}"] if id_field else []
    if mask is not None:
        arguments.append(f"mask_field={mask.python_name!r}")
    call = f"update_paths({', '.join(['request', *arguments])})".replace("'", '"')
    kept = []
    for arg in event_args:
        name = arg.source.removeprefix("request.")
        sent = request.field_by_python_name(name) if arg.source.startswith("request.") else None
        state_field = aggregate.state.field(sent.name) if sent is not None else None
        if sent is not None and state_field is not None and state_field.annotation == sent.annotation:
            # Parenthesised: black and ruff format then split a long one the same way.
            kept.append(Assignment(arg.target, f'({arg.source} if "{name}" in paths else aggregate.state.{state_field.python_name})'))
        else:
            kept.append(arg)
    return call, tuple(kept)
