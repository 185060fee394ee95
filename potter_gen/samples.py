"""Sample requests and expectations for the generated REST tests.

Computes, per aggregate, the JSON a generated test sends through its standard
methods and what it expects back, so templates only print them. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from potter_gen.ir import Aggregate, Field, FieldKind, Message, Project, Rpc, StandardMethod
from potter_gen.read_models import ReadModel, read_model_query

# 64-bit integers travel as JSON strings (proto3 JSON mapping).
_INITIAL = {
    "str": '"sample {name}"', "Int32": "7", "UInt32": "7", "Int64": '"7"', "UInt64": '"7"',
    "Double": "1.5", "Float": "1.5", "Bool": "True",
}  # fmt: skip
_CHANGED = {
    "str": '"changed {name}"', "Int32": "8", "UInt32": "8", "Int64": '"8"', "UInt64": '"8"',
    "Double": "2.5", "Float": "2.5", "Bool": "False",
}  # fmt: skip


def _sample(field: Field, table: dict[str, str]) -> str:
    if field.is_repeated or field.kind in (FieldKind.MESSAGE, FieldKind.MAP) or field.is_optional:
        return ""
    return table.get(field.annotation, "").format(name=field.name)


@dataclass(frozen=True)
class Check:
    """`assert <json expression> == <value>` on a response body named `body`."""

    expression: str
    value: str


@dataclass(frozen=True)
class PartialUpdate:
    """A PATCH that must change only some fields (AIP-134), and the Get checks after it.

    Attributes:
        doc: what the step shows, as a comment line.
        body: JSON body as `{key: python literal}`.
        checks: assertions on the Get response: changed fields and kept ones.
    """

    doc: str
    body: dict[str, str]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Lifecycle:
    """The standard-method story a generated test tells for one aggregate.

    Attributes:
        aggregate: the aggregate.
        create/get/listing/update/delete: the standard RPCs, when present.
        create_body/update_body: JSON bodies as `{key: python literal}`.
        id_key: JSON key of the create response field carrying the new id.
        get_checks/updated_checks: assertions on the Get response body after
            create and after update.
        list_key: JSON key of the List response's repeated aggregate field.
        list_id_key: JSON key of the id inside one listed aggregate ("" if none).
        partial_updates: PATCHes after the full update that change only what
            they name: by presence in the body, and by `update_mask` when the
            request has one.
    """

    aggregate: Aggregate
    create: Rpc | None
    get: Rpc | None
    listing: Rpc | None
    update: Rpc | None
    delete: Rpc | None
    create_body: dict[str, str]
    update_body: dict[str, str]
    id_key: str
    get_checks: tuple[Check, ...]
    updated_checks: tuple[Check, ...]
    list_key: str
    list_id_key: str
    partial_updates: tuple[PartialUpdate, ...] = ()

    @property
    def expected_events(self) -> list[str]:
        """Return the event types the lifecycle stores, in order."""
        steps = [self.create, self.update, *([self.update] * len(self.partial_updates)), self.delete]
        return [rpc.plan.event.event_type for rpc in steps if rpc is not None and rpc.plan is not None and rpc.plan.event is not None]


def _body(request: Message, skip: str, table: dict[str, str]) -> dict[str, str]:
    return {f.json_name: v for f in request.fields if f.python_name != skip and (v := _sample(f, table))}


def _checks(get: Rpc | None, aggregate: Aggregate, fields: tuple[str, ...], request: Message, table: dict[str, str]) -> tuple[Check, ...]:
    if get is None:
        return ()
    nested = next(
        (f for f in get.response.fields if f.kind is FieldKind.MESSAGE and not f.is_repeated and f.type_class == aggregate.state.class_name),
        None,
    )
    checks = []
    for python_name in fields:
        sent = next(f for f in request.fields if f.python_name == python_name)
        value = _sample(sent, table)
        state_field = aggregate.state.field(sent.name)
        if not value or state_field is None:
            continue
        if nested is not None:
            checks.append(Check(f'body["{nested.json_name}"]["{state_field.json_name}"]', value))
        elif (flat := get.response.field(sent.name)) is not None and flat.annotation == sent.annotation:
            checks.append(Check(f'body["{flat.json_name}"]', value))
    return tuple(checks)


def _partial_updates(get: Rpc | None, aggregate: Aggregate, update: Rpc) -> tuple[PartialUpdate, ...]:
    """Return the PATCHes that show an Update changes only what it names (after the full update, state = _CHANGED)."""
    assert update.plan is not None
    request = update.request
    fields = [f for f in request.fields if f.python_name in update.plan.round_trip_fields and _sample(f, _CHANGED)]
    if get is None or not fields:
        return ()
    first, others = fields[0], fields[1:]

    def checks(changed: Field, changed_table: dict[str, str]) -> tuple[Check, ...]:
        kept = tuple(c for f in others for c in _checks(get, aggregate, (f.python_name,), request, _CHANGED))
        return _checks(get, aggregate, (changed.python_name,), request, changed_table) + kept

    steps = [
        PartialUpdate(
            f"Only {first.json_name} is in the body: the other fields keep their values (JSON merge patch).",
            {first.json_name: _sample(first, _INITIAL)},
            checks(first, _INITIAL),
        )
    ]
    mask = next((f for f in request.fields if f.name == "update_mask" and f.proto_type == ".google.protobuf.FieldMask"), None)
    if mask is not None:
        body = {first.json_name: _sample(first, _CHANGED)} | {f.json_name: _sample(f, _INITIAL) for f in others}
        steps.append(
            PartialUpdate(
                f"update_mask names only {first.name}: the body's other fields are not applied (AIP-161).",
                body | {mask.json_name: f'"{first.json_name}"'},
                checks(first, _CHANGED),
            )
        )
    return tuple(steps)


def lifecycles(project: Project) -> tuple[Lifecycle, ...]:
    """Return the lifecycle test plan of every aggregate that has a standard Create."""
    plans = []
    for aggregate in project.aggregates:
        by_method: dict[StandardMethod, Rpc] = {}
        for rpc in project.rpcs:
            if rpc.standard is not None and rpc.aggregate == aggregate.name:
                by_method.setdefault(rpc.standard, rpc)
        create = by_method.get(StandardMethod.CREATE)
        if create is None or create.plan is None:
            continue
        id_field = next((a.target for a in create.plan.response_args if a.source == "aggregate.id"), "")
        id_key = next((f.json_name for f in create.response.fields if f.python_name == id_field), "")
        get, update, listing = by_method.get(StandardMethod.GET), by_method.get(StandardMethod.UPDATE), by_method.get(StandardMethod.LIST)
        if not id_key:
            get = update = None
        listed = next((f for f in listing.response.fields if f.is_repeated and f.type_class == aggregate.state.class_name), None) if listing else None
        state_id = next((f.json_name for f in aggregate.state.fields if f.python_name == aggregate.id_field), "")
        updated_checks: tuple[Check, ...] = ()
        update_body: dict[str, str] = {}
        partial_updates: tuple[PartialUpdate, ...] = ()
        if update is not None and update.plan is not None:
            update_body = _body(update.request, update.http.path_field, _CHANGED)
            updated_checks = _checks(get, aggregate, update.plan.round_trip_fields, update.request, _CHANGED)
            partial_updates = _partial_updates(get, aggregate, update)
        plans.append(
            Lifecycle(
                aggregate=aggregate,
                create=create,
                get=get,
                listing=listing,
                update=update,
                delete=by_method.get(StandardMethod.DELETE) if id_key else None,
                create_body=_body(create.request, "", _INITIAL),
                update_body=update_body,
                id_key=id_key,
                get_checks=_checks(get, aggregate, create.plan.round_trip_fields, create.request, _INITIAL),
                updated_checks=updated_checks,
                list_key=listed.json_name if listed else "",
                list_id_key=state_id,
                partial_updates=partial_updates,
            )
        )
    return tuple(plans)


def untested_rpcs(project: Project, read_models: tuple[ReadModel, ...] = ()) -> tuple[Rpc, ...]:
    """Return RPCs without a default implementation: they answer 501 until written."""
    return tuple(rpc for rpc in project.rpcs if rpc.plan is None and not _reads_by_key(read_models, rpc))


def _reads_by_key(read_models: tuple[ReadModel, ...], rpc: Rpc) -> bool:
    query = read_model_query(read_models, rpc)
    return query is not None and bool(query.key_source)


@dataclass(frozen=True)
class ReadModelTest:
    """A generated test of a query served from a named read model (a JSON-body route).

    Attributes:
        rpc: the query.
        read_model: the read model's name.
        key_json: JSON name of the request field carrying the document key.
        create: the lifecycle whose create makes a document appear, or None.
    """

    rpc: Rpc
    read_model: str
    key_json: str
    create: Lifecycle | None


def read_model_tests(project: Project, read_models: tuple[ReadModel, ...]) -> tuple[ReadModelTest, ...]:
    """Return the read-model query tests: 404 for an unknown key, then a document after a create."""
    by_aggregate = {lc.aggregate.name: lc for lc in lifecycles(project)}
    tests = []
    for rpc in project.rpcs:
        query = read_model_query(read_models, rpc)
        if query is None or not query.key_source or not rpc.http.has_body:
            continue
        field = rpc.request.field_by_python_name(query.key_source.removeprefix("request."))
        create = by_aggregate.get(rpc.aggregate)
        if create is not None and not create.id_key:
            create = None
        if field is not None:
            tests.append(ReadModelTest(rpc, query.read_model.name, field.json_name, create))
    return tuple(tests)


def _covered(lifecycle: Lifecycle) -> set[str]:
    steps = (lifecycle.create, lifecycle.get, lifecycle.listing, lifecycle.update, lifecycle.delete)
    return {rpc.name for rpc in steps if rpc is not None}


def standalone_rpcs(project: Project) -> tuple[Rpc, ...]:
    """Return standard RPCs no lifecycle exercises: a List is called on an empty
    store (200), a Get, Update or Delete with an id never created (404)."""
    covered = set().union(*(_covered(lc) for lc in lifecycles(project)))
    return tuple(rpc for rpc in project.rpcs if rpc.plan is not None and rpc.name not in covered)


@dataclass(frozen=True)
class ErrorSamples:
    """Requests a generated test sends to see the service's problem+json answers (RFC 9457).

    Attributes:
        body_path: a path whose route reads a JSON body ("" when no route does):
            a body with an unknown member must answer 400.
        body_method: that route's HTTP method, lower case.
        served_path: a path some route serves; PUT (never generated) must answer 405.
    """

    body_path: str
    body_method: str
    served_path: str


def error_samples(project: Project) -> ErrorSamples:
    """Return the requests of the generated 400/404/405 tests."""

    def concrete(rpc: Rpc) -> str:
        return rpc.http.path.replace("{" + rpc.http.path_field + "}", "sample-id") if rpc.http.path_field else rpc.http.path

    with_body = next((rpc for rpc in project.rpcs if rpc.http.has_body), None)
    served = project.rpcs[0] if project.rpcs else None
    return ErrorSamples(
        body_path=concrete(with_body) if with_body else "",
        body_method=with_body.http.method.lower() if with_body else "",
        served_path=concrete(served) if served else "",
    )
