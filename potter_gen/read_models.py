"""Plan the service's storage beyond the event store: named read models, state indexes, migration revisions.

A query with `read_model: "name"` (potter options) is served from a table of
documents, `read_model_<name>`, that a projection fills from the events: a
GENERATED base with one no-op `on_<event>` method per event of the query's
aggregate (every event when it names none), and a SCAFFOLD projection that
overrides them. The document is the query's response message; by default an
event's fields fill the document fields of the same name and type, keyed by
the aggregate id, and a `deleted` event removes the document.

Every named read model and every state field a List request filters by gets
an alembic revision of its own, branching from the event store's revision, so
a new one never edits a revision a database has applied. Pure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from potter_gen import naming, standard_methods
from potter_gen.ir import Aggregate, Assignment, Event, Message, Project, Role, Rpc, StandardMethod

CORE_REVISION = "potter_0001"
"""Revision of the runtime's tables (events, snapshots, aggregate_states, projection_checkpoints)."""

OPERATIONS_REVISION = "potter_0002"
"""Revision of the ``operations`` table of async commands, branching from ``CORE_REVISION``."""

_IDENTIFIER_LIMIT = 63  # PostgreSQL truncates longer identifiers


def _revision(kind: str, key: str) -> str:
    # alembic_version.version_num is VARCHAR(32); a digest keeps ids short and stable.
    return f"{kind}_{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _identifier(name: str) -> str:
    if len(name) <= _IDENTIFIER_LIMIT:
        return name
    return f"{name[: _IDENTIFIER_LIMIT - 13]}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class ProjectionHandler:
    """How a named projection applies one event.

    Attributes:
        event: the event.
        method: the projection's method for it (`on_book_created`).
        deletes: the event deletes the aggregate: the document is removed.
        assignments: document field ← expression over `event` and `stored`
            (empty and not `deletes`: the scaffold leaves the method to the user).
    """

    event: Event
    method: str
    deletes: bool
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class ReadModel:
    """A named read model (`query.read_model`).

    Attributes:
        name: its name, an identifier (`book_summary`).
        document: the message stored per key: the first query's response.
        aggregate: the aggregate whose events feed it ("" for every event).
        handlers: one per event it receives.
        queries: the RPCs it serves.
    """

    name: str
    document: Message
    aggregate: str
    handlers: tuple[ProjectionHandler, ...]
    queries: tuple[Rpc, ...]

    @property
    def class_name(self) -> str:
        """Return the scaffold projection class (`BookSummaryProjection`)."""
        return f"{naming.pascal_case(self.name)}Projection"

    @property
    def base_class(self) -> str:
        """Return the generated projection base class (`BookSummaryProjectionBase`)."""
        return f"{self.class_name}Base"

    @property
    def table(self) -> str:
        """Return its table's name (`read_model_book_summary`)."""
        return f"read_model_{self.name}"

    @property
    def revision(self) -> str:
        """Return the alembic revision id creating its table."""
        return _revision("rm", self.name)

    @property
    def event_classes(self) -> list[str]:
        """Return the event classes its handlers decode, sorted."""
        return sorted({h.event.class_name for h in self.handlers})


@dataclass(frozen=True)
class StateIndex:
    """An index of the state projection on one state field a List request filters by.

    Attributes:
        aggregate: the aggregate's name (its `aggregate_type`).
        field: the state field's Python name (its key in the stored JSON).
    """

    aggregate: str
    field: str

    @property
    def name(self) -> str:
        """Return the index name (≤ 63 characters)."""
        return _identifier(f"ix_aggregate_states_{naming.snake_case(self.aggregate)}_{self.field}")

    @property
    def revision(self) -> str:
        """Return the alembic revision id creating the index (on aggregate_type, the field, aggregate_id)."""
        return _revision("ix", f"{self.aggregate}.{self.field}")

    @property
    def partial_revision(self) -> str:
        """Return the alembic revision id recreating the index as a partial one, after `revision`.

        Its first shape began with (aggregate_type), like the table's primary
        key, and PostgreSQL's generic plan of an append's lookup of one
        aggregate could take it instead of the key: a scan of every state of
        the kind per append. The partial index (field, aggregate_id) WHERE
        aggregate_type = '<aggregate>' cannot serve that lookup.
        """
        return _revision("ixp", f"{self.aggregate}.{self.field}")

    @property
    def predicate(self) -> str:
        """Return the partial index's WHERE clause (`aggregate_type = 'Book'`; aggregate names are identifiers)."""
        return f"aggregate_type = '{self.aggregate}'"

    @property
    def module(self) -> str:
        """Return the stem of its revision file."""
        return f"{naming.snake_case(self.aggregate)}_{self.field}"


@dataclass(frozen=True)
class ReadModelQuery:
    """What the default handler of a query on a named read model does.

    Attributes:
        read_model: the read model it reads.
        key_source: expression of the document key (`request.id`), or "" when
            the request carries none (the handler is left to the user) or the
            query is a standard Get/List (it reads the state projection).
    """

    read_model: ReadModel
    key_source: str


def _handler(event: Event, document: Message) -> ProjectionHandler:
    method = f"on_{naming.snake_case(event.class_name)}"
    if event.kind == "deleted":
        return ProjectionHandler(event, method, True, ())
    ids = standard_methods.id_field_names(event.aggregate)
    assignments = []
    for field in document.fields:
        source = event.message.field(field.name)
        if field.name in ids and field.annotation == "str" and not field.is_repeated:
            assignments.append(Assignment(field.python_name, "stored.aggregate_id"))
        elif source is not None and source.annotation == field.annotation and source.is_repeated == field.is_repeated:
            assignments.append(Assignment(field.python_name, f"event.{source.python_name}"))
    only_id = all(a.source == "stored.aggregate_id" for a in assignments)
    return ProjectionHandler(event, method, False, () if only_id else tuple(assignments))


def plan_read_models(project: Project) -> tuple[ReadModel, ...]:
    """Return the project's named read models, in the order their first query is declared."""
    by_name: dict[str, list[Rpc]] = {}
    for rpc in project.rpcs:
        if rpc.role is Role.QUERY and rpc.query_options is not None and rpc.query_options.read_model:
            by_name.setdefault(rpc.query_options.read_model, []).append(rpc)
    aggregates = {a.name: a for a in project.aggregates}
    models = []
    for name, rpcs in by_name.items():
        first = rpcs[0]
        aggregate: Aggregate | None = aggregates.get(first.aggregate)
        events = aggregate.events if aggregate is not None else project.events
        handlers = tuple(_handler(event, first.response) for event in events)
        models.append(ReadModel(name, first.response, first.aggregate, handlers, tuple(rpcs)))
    return tuple(models)


def read_model_query(read_models: tuple[ReadModel, ...], rpc: Rpc) -> ReadModelQuery | None:
    """Return how `rpc`'s default handler reads its named read model, or None when it has none."""
    if rpc.query_options is None or not rpc.query_options.read_model:
        return None
    model = next(m for m in read_models if m.name == rpc.query_options.read_model)
    key = ""
    # A standard Get/List keeps reading the state projection: it is written in
    # the command's transaction, so a Get right after a Create finds the resource.
    if rpc.plan is None and rpc.response.class_name == model.document.class_name:
        id_field = standard_methods.find_id_field(rpc.request, rpc.aggregate) if rpc.aggregate else ""
        if not id_field and (field := rpc.request.field("id")) is not None and field.annotation == "str":
            id_field = field.python_name
        key = f"request.{id_field}" if id_field else ""
    return ReadModelQuery(model, key)


def state_indexes(project: Project) -> tuple[StateIndex, ...]:
    """Return one index per (aggregate, state field) some List request filters by, sorted."""
    wanted = {
        StateIndex(rpc.plan.aggregate.name, arg.target)
        for rpc in project.rpcs
        if rpc.plan is not None and rpc.plan.method is StandardMethod.LIST
        for arg in rpc.plan.filter_args
    }
    return tuple(sorted(wanted, key=lambda index: (index.aggregate, index.field)))
