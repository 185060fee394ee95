"""Aggregates, their events and the error events → `Aggregate`, `Event`,
`ErrorEvent`; events that standard methods need and the proto lacks are
synthesized.

Pure; no I/O. Problems are reported on the `BuildContext`.
"""

from __future__ import annotations

from dataclasses import replace

from potter_gen import naming, options, standard_methods
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.errors import ProtoLocation, error, note, warning
from potter_gen.ir import Aggregate, ErrorEvent, Event, Field, FieldKind, Message, MessageRole, Service, StandardMethod
from potter_gen.model.context import BuildContext
from potter_gen.model.roles import MessageRoles


def build_aggregates(context: BuildContext, messages: list[Message], roles: MessageRoles) -> dict[str, Aggregate]:
    """Return the project's aggregates by name, each with its declared events.

    Reports aggregate names that are no importable module, aggregates that
    collide, events naming an unknown aggregate and events sharing an event
    type (in one aggregate or across aggregates).
    """
    aggregates: dict[str, Aggregate] = {}
    modules: dict[str, Aggregate] = {}
    for message in messages:
        opts = roles.options[message.full_name].aggregate
        if message.full_name in roles.inferred:
            opts = options.AggregateOptions()
            context.inferred(
                f"{message.name}: no (potter.aggregate); inferred an event-sourced aggregate from {roles.inferred[message.full_name]}",
                "option (potter.aggregate) = {} to the message, or (potter.value_object) if it is not one",
                message.location,
            )
        if message.role is not MessageRole.AGGREGATE or opts is None:
            continue
        name = opts.name or message.name
        location = message.location if message.full_name in roles.inferred else context.option_location(message, ext.aggregate.number)
        if not (name.isascii() and name.isidentifier()):
            # ASCII: Python imports `ﬁle` (NFKC) as `file`, so the module file would not be found.
            what = "an ASCII identifier" if name.isidentifier() else "an identifier"
            context.report(error(f"aggregate name {name!r} is not {what}", "Use a PascalCase name such as 'Item'", location))
            continue
        if not naming.is_module_name(naming.snake_case(name)):
            # The module names files and attributes: `_` would give `aggregates/.py`, `From` `import .from`.
            context.report(
                error(
                    f"aggregate name '{name}' becomes the Python module name '{naming.snake_case(name)}', which cannot be imported",
                    "Use a PascalCase name such as 'Item'",
                    location,
                )
            )
            continue
        aggregate = Aggregate(
            name=name,
            state=message,
            repository=opts.repository,
            module=naming.snake_case(name),
            class_name=f"{name}Aggregate",
            collection=naming.collection_id(name),
            id_field=standard_methods.find_id_field(message, name),
            events=(),
            location=location,
        )
        # `<module>_base.py` lies beside `<module>.py`: the base file of Item is the scaffold of ItemBase.
        first = aggregates.get(name) or modules.get(aggregate.module) or modules.get(f"{aggregate.module}_base")
        if first is not None:
            context.report(
                error(
                    f"aggregate '{name}' collides with aggregate '{first.name}' declared at {first.location}",
                    "Give each aggregate a distinct name (potter.aggregate name)",
                    location,
                )
            )
            continue
        aggregates[name] = aggregate
        modules[aggregate.module] = modules[f"{aggregate.module}_base"] = aggregate

    events: dict[str, list[Event]] = {name: [] for name in aggregates}
    by_type: dict[str, Event] = {}
    for message in messages:
        event_opts = roles.options[message.full_name].event
        if message.role is not MessageRole.EVENT or event_opts is None or not event_opts.aggregate:
            continue
        if event_opts.aggregate not in aggregates:
            known = ", ".join(sorted(aggregates)) or "none"
            context.report(
                error(
                    f"event {message.name} names unknown aggregate {event_opts.aggregate!r}",
                    f"Use one of the declared aggregates ({known}) or declare it with (potter.aggregate)",
                    context.option_location(message, ext.event.number),
                )
            )
            continue
        aggregate = aggregates[event_opts.aggregate]
        event = _event(message, aggregate, event_opts.event_type, event_opts.version or 1, is_declared=True)
        first_event = by_type.get(event.event_type)
        if first_event is not None and first_event.aggregate == aggregate.name:
            # The aggregate's `event_types` maps a stored type to one class: the second would replay as the first.
            context.report(
                error(
                    f"events {first_event.message.name} (at {first_event.message.location}) and {message.name} "
                    f"of aggregate {aggregate.name} both have event_type {event.event_type!r}",
                    "Give each event of an aggregate its own event_type",
                    context.option_location(message, ext.event.number),
                )
            )
            continue
        if first_event is not None:
            # Subscribers and the broker tell events apart by type alone.
            context.report(
                error(
                    f"events {first_event.message.name} of aggregate {first_event.aggregate} (at {first_event.message.location}) "
                    f"and {message.name} of aggregate {aggregate.name} both have event_type {event.event_type!r}",
                    "Give each event its own event_type",
                    context.option_location(message, ext.event.number),
                )
            )
            continue
        by_type[event.event_type] = event
        events[aggregate.name].append(event)
    return {name: replace(a, events=tuple(events[name])) for name, a in aggregates.items()}


def _event(message: Message, aggregate: Aggregate, event_type: str, version: int, is_declared: bool) -> Event:
    event_type = event_type or f"{aggregate.module}.{naming.snake_case(message.name.removesuffix('Event')).removeprefix(aggregate.module + '_')}"
    kind = ""
    for candidate in ("created", "updated", "deleted"):
        names = {f"{aggregate.name}{candidate.title()}", f"{aggregate.name}{candidate.title()}Event"}
        if message.name in names or event_type.lower().endswith((f".{candidate}", f"_{candidate}")):
            kind = candidate
            break
    id_field = standard_methods.find_id_field(message, aggregate.name)
    applied = tuple(
        f.python_name
        for f in message.fields
        if f.python_name != id_field
        and (state_field := aggregate.state.field(f.name)) is not None
        and state_field.annotation == f.annotation
        and state_field.python_name != aggregate.id_field
    )
    return Event(
        message=message,
        event_type=event_type,
        aggregate=aggregate.name,
        version=version,
        is_declared=is_declared,
        kind=kind,
        id_field=id_field,
        applied_fields=applied,
        handler_name=f"on_{naming.snake_case(message.class_name)}",
    )


def build_error_events(context: BuildContext, messages: list[Message], roles: MessageRoles) -> tuple[ErrorEvent, ...]:
    """Return the error events; report two that share an error code or a Python class.

    The SDK's `errors.py` maps each problem+json `code` to one class, and
    `domain/errors.py` defines one class per error event: both must be unique.
    """
    error_events = tuple(
        ErrorEvent(
            message=m,
            class_name=m.class_name if m.class_name.endswith("Error") else m.class_name.removesuffix("Event") + "Error",
            error_code=(roles.options[m.full_name].error_event or options.ErrorEventOptions()).error_code
            or naming.snake_case(m.class_name.removesuffix("Event")).upper(),
            retryable=(roles.options[m.full_name].error_event or options.ErrorEventOptions()).retryable,
        )
        for m in messages
        if m.role is MessageRole.ERROR_EVENT
    )
    codes: dict[str, ErrorEvent] = {}
    classes: dict[str, ErrorEvent] = {}
    for error_event in error_events:
        where = context.option_location(error_event.message, ext.error_event.number)
        first = codes.setdefault(error_event.error_code, error_event)
        if first is not error_event:
            context.report(
                error(
                    f"error events {first.message.name} (at {first.message.location}) and {error_event.message.name} "
                    f"both have error_code {error_event.error_code!r}",
                    "Give each error event its own error_code",
                    where,
                )
            )
            continue
        first = classes.setdefault(error_event.class_name, error_event)
        if first is not error_event:
            context.report(
                error(
                    f"error events {first.message.name} (at {first.message.location}) and {error_event.message.name} "
                    f"both become the error class '{error_event.class_name}' in Python",
                    "Rename one of them",
                    where,
                )
            )
    return error_events


def synthesize_missing_events(
    context: BuildContext, aggregates: dict[str, Aggregate], services: list[Service], messages: list[Message]
) -> tuple[dict[str, Aggregate], list[Service], list[Message]]:
    """Add created/updated/deleted events that standard methods need and the proto lacks.

    Returns the aggregates with their new events, the services with their
    standard-method plans rebuilt on them, and the messages (domain first)
    with the synthesized event messages added.
    """
    taken = {m.class_name for m in messages}
    new_messages = list(messages)
    for rpc in [r for s in services for r in s.rpcs if r.plan is not None]:
        aggregate = aggregates[rpc.aggregate]
        kind = standard_methods.event_kind(rpc.plan.method)  # type: ignore[union-attr]
        if not kind or aggregate.event(kind) is not None:
            continue
        class_name = f"{aggregate.name}{kind.title()}Event"
        if class_name in taken:
            class_name = f"{aggregate.name}{kind.title()}"
        id_field = _synthetic_id_field(aggregate, rpc.location)
        state_fields = () if kind == "deleted" else tuple(f for f in aggregate.state.fields if f.python_name != aggregate.id_field)
        message = Message(
            name=class_name,
            full_name=f"{aggregate.state.full_name}.{class_name}",
            class_name=class_name,
            fields=(id_field, *state_fields),
            role=MessageRole.EVENT,
            is_domain=True,
            proto_file="",
            comment=f"{aggregate.name} {kind} (synthesized by potter-gen: the proto declares no such event).",
            location=aggregate.location,
            dependencies=tuple(dict.fromkeys(f.type_class for f in state_fields if f.type_class)),
        )
        taken.add(class_name)
        new_messages.append(message)
        event = _event(message, aggregate, f"{aggregate.module}.{kind}", 1, is_declared=False)
        aggregate = replace(aggregate, events=(*aggregate.events, event))
        aggregates[aggregate.name] = aggregate
        context.report(
            note(
                f"{rpc.name}: the proto declares no {kind} event for aggregate {aggregate.name}; "
                f"generating {class_name} ({event.event_type}). Declare one with (potter.event) to choose its fields",
                rpc.location,
            )
        )
    # Rebuild plans and domain order now that every aggregate has its events.
    rebuilt = []
    for service in services:
        rpcs = []
        for rpc in service.rpcs:
            if rpc.plan is not None:
                plan = standard_methods.plan_standard_method(rpc.plan.method, aggregates[rpc.aggregate], rpc.request, rpc.response)
                rpc = replace(rpc, plan=plan)
            rpcs.append(rpc)
        rebuilt.append(replace(service, rpcs=tuple(rpcs)))
    domain = [m for m in new_messages if m.is_domain]
    application = [m for m in new_messages if not m.is_domain]
    return aggregates, rebuilt, domain + application


def warn_unstored_fields(context: BuildContext, services: list[Service]) -> None:
    """Warn when a create/update request sets state fields its event cannot carry."""
    for rpc in (r for s in services for r in s.rpcs):
        plan = rpc.plan
        if plan is None or plan.event is None or plan.method not in (StandardMethod.CREATE, StandardMethod.UPDATE):
            continue
        carried = {a.target for a in plan.event_args}
        state = plan.aggregate.state
        lost = [
            f.name
            for f in rpc.request.fields
            if (s := state.field(f.name)) is not None and s.python_name != plan.aggregate.id_field and f.python_name not in carried
        ]
        if lost:
            context.report(
                warning(
                    f"{rpc.name}: {plan.event.class_name} has no field for {', '.join(lost)} "
                    f"that {rpc.request.class_name} sets, so the default handler does not store them",
                    f"Add the fields to {plan.event.class_name} to keep them",
                    plan.event.message.location,
                )
            )


def _synthetic_id_field(aggregate: Aggregate, location: ProtoLocation) -> Field:
    name = f"{aggregate.module}_id"
    return Field(
        name=name,
        python_name=name,
        json_name=naming.camel_case(name),
        number=1,
        kind=FieldKind.SCALAR,
        proto_type="string",
        annotation="str",
        default='""',
        default_factory="",
        is_repeated=False,
        is_optional=False,
        type_class="",
        comment="",
        location=location,
    )
