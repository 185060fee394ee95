"""Descriptors + potter options → the validated IR (`ir.Project`).

All validation happens here. Every problem becomes a `Diagnostic` carrying
the proto element's `file:line:col` and a hint; all of them are collected
before failing once with `ValidationError`. Warnings and notes (transports
not built yet, inferred roles, synthesized events) travel on the project.
Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from google.protobuf import descriptor_pb2 as d

from potter_gen import naming, options, standard_methods, typemap
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.descriptors import LoadedProtos
from potter_gen.errors import Diagnostic, ProtoLocation, Severity, ValidationError, error, note, warning
from potter_gen.ir import (
    Aggregate,
    Enum,
    EnumValue,
    ErrorEvent,
    Event,
    Field,
    FieldKind,
    Message,
    MessageRole,
    Project,
    Role,
    Rpc,
    Service,
    StandardMethod,
)
from potter_gen.locations import (
    ENUM_VALUE,
    FILE_ENUM,
    FILE_MESSAGE,
    FILE_SERVICE,
    MESSAGE_ENUM,
    MESSAGE_FIELD,
    MESSAGE_NESTED,
    MESSAGE_OPTIONS,
    METHOD_OPTIONS,
    SERVICE_METHOD,
    SERVICE_OPTIONS,
    Path,
    SourceIndex,
)

F = d.FieldDescriptorProto
KNOWN_TRANSPORTS = {"rest": "REST", "grpc": "gRPC", "graphql": "GraphQL", "nats": "NATS", "kafka": "Kafka"}
BUILT_TRANSPORTS = frozenset({"REST"})


@dataclass(frozen=True)
class _Declaration:
    """A message or enum of the file set, with where it is declared."""

    full_name: str
    class_name: str
    file_name: str
    path: Path
    proto: d.DescriptorProto | d.EnumDescriptorProto


def _walk_messages(
    messages: list[d.DescriptorProto], prefix: str, class_prefix: str, path: Path
) -> Iterator[tuple[str, str, Path, d.DescriptorProto | d.EnumDescriptorProto]]:
    for index, message in enumerate(messages):
        full, cls, here = f"{prefix}.{message.name}", class_prefix + message.name, (*path, index)
        yield full, cls, here, message
        for enum_index, enum_proto in enumerate(message.enum_type):
            yield f"{full}.{enum_proto.name}", cls + enum_proto.name, (*here, MESSAGE_ENUM, enum_index), enum_proto
        yield from _walk_messages(list(message.nested_type), full, cls, (*here, MESSAGE_NESTED))


class _Builder:
    """Builds one `Project`; collects diagnostics instead of raising early."""

    def __init__(self, loaded: LoadedProtos, module: str | None, strict: bool = False) -> None:
        self.loaded = loaded
        self.module_override = module
        self.strict = strict
        self.diagnostics: list[Diagnostic] = []
        self.sources = {f.name: SourceIndex(f, loaded.display_path(f.name)) for f in loaded.file_set.file}
        self.files = {f.name: f for f in loaded.file_set.file}
        self.declarations: dict[str, _Declaration] = {}
        for file_proto in loaded.file_set.file:
            prefix = f".{file_proto.package}" if file_proto.package else ""
            for index, enum_proto in enumerate(file_proto.enum_type):
                full = f"{prefix}.{enum_proto.name}"
                self.declarations[full] = _Declaration(full, enum_proto.name, file_proto.name, (FILE_ENUM, index), enum_proto)
            for full, cls, path, proto in _walk_messages(list(file_proto.message_type), prefix, "", (FILE_MESSAGE,)):
                self.declarations[full] = _Declaration(full, cls, file_proto.name, path, proto)

    # -- helpers -----------------------------------------------------------

    def where(self, file_name: str, path: Path) -> ProtoLocation:
        return self.sources[file_name].location(path)

    def comment(self, file_name: str, path: Path) -> str:
        # Trailing spaces on a comment's lines are invisible in the proto and ruff's W291 in a docstring.
        return "\n".join(line.rstrip() for line in self.sources[file_name].comments(path).text.splitlines())

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def inferred(self, what: str, option: str, location: ProtoLocation | None) -> None:
        """Report an inference: a note, or with --strict an error asking for the explicit option."""
        if self.strict:
            self.report(error(f"{what}; --strict requires it explicit", f"Add {option}", location))
        else:
            self.report(note(what, location))

    def _inferred_aggregates(self, generate: list[d.FileDescriptorProto], message_options: dict[str, options.MessageOptions]) -> dict[str, str]:
        """Return the messages taken as aggregates without (potter.aggregate): full name → why.

        A message of the generated files that carries no potter option is an
        aggregate when it is annotated `(google.api.resource)` (AIP-123), or
        when a standard method returns it: `Get<Name>` (AIP-131),
        `Create<Name>` (AIP-133) or `Update<Name>` (AIP-134) with output type `Name`.
        """
        own = {full for full, decl in self.declarations.items() if decl.file_name in self.loaded.files_to_generate}
        reasons: dict[str, str] = {}
        for full in sorted(own):
            declaration = self.declarations[full]
            resource_type = options.read_resource_type(declaration.proto) if isinstance(declaration.proto, d.DescriptorProto) else ""
            if resource_type:
                reasons[full] = f"its (google.api.resource) type '{resource_type}'"
        for file_proto in generate:
            for service in file_proto.service:
                for method in service.method:
                    for verb in ("Get", "Create", "Update"):
                        noun = method.name.removeprefix(verb)
                        output = self.declarations.get(method.output_type)
                        if method.name.startswith(verb) and output is not None and output.proto.name == noun and method.output_type in own:
                            reasons.setdefault(method.output_type, f"{method.name} returning it (AIP standard methods)")
        return {full: why for full, why in reasons.items() if message_options.get(full) == options.MessageOptions()}

    def _is_map_entry(self, type_name: str) -> bool:
        declaration = self.declarations.get(type_name)
        return isinstance(declaration and declaration.proto, d.DescriptorProto) and bool(
            declaration and declaration.proto.options.map_entry  # type: ignore[union-attr]
        )

    # -- types ---------------------------------------------------------------

    def _value_type(self, field_proto: d.FieldDescriptorProto) -> tuple[str, str, FieldKind, str]:
        """Return (annotation, default, kind, type_class) of one non-repeated value."""
        scalar = typemap.scalar_type(field_proto.type)
        if scalar is not None:
            return scalar.annotation, scalar.default, FieldKind.SCALAR, ""
        type_name = field_proto.type_name
        if typemap.is_well_known(type_name):
            return typemap.WELL_KNOWN[type_name], "None", FieldKind.MESSAGE, ""
        declaration = self.declarations[type_name]
        if field_proto.type == F.TYPE_ENUM:
            enum_proto = declaration.proto
            assert isinstance(enum_proto, d.EnumDescriptorProto)
            first = enum_proto.value[0].name if enum_proto.value else ""
            first = naming.python_identifier(first)
            return declaration.class_name, f"{declaration.class_name}.{first}", FieldKind.ENUM, declaration.class_name
        return declaration.class_name, "None", FieldKind.MESSAGE, declaration.class_name

    def build_field(
        self, field_proto: d.FieldDescriptorProto, file_name: str, path: Path, oneof_names: tuple[str, ...] = ()
    ) -> Field:
        location = self.where(file_name, path)
        # proto3 `optional` is a synthetic oneof; only real oneofs get the at-most-one check.
        in_oneof = field_proto.HasField("oneof_index") and not field_proto.proto3_optional
        # proto2 singular fields have presence (descriptor.proto: LABEL_OPTIONAL in a proto2 file).
        has_presence = field_proto.proto3_optional or (
            self.files[file_name].syntax in ("", "proto2") and field_proto.label == F.LABEL_OPTIONAL
        )
        is_repeated = field_proto.label == F.LABEL_REPEATED
        annotation, default, kind, type_class = self._value_type(field_proto)
        default_factory = ""
        is_optional = False
        if is_repeated and self._is_map_entry(field_proto.type_name):
            entry = self.declarations[field_proto.type_name].proto
            key, value = entry.field[0], entry.field[1]  # type: ignore[union-attr]
            key_annotation = self._value_type(key)[0]
            value_annotation, _, _, value_class = self._value_type(value)
            annotation, kind, type_class = f"dict[{key_annotation}, {value_annotation}]", FieldKind.MAP, value_class
            default, default_factory = "", "dict"
        elif is_repeated:
            annotation, default, default_factory = f"list[{annotation}]", "", "list"
        elif kind is FieldKind.MESSAGE or has_presence or in_oneof:
            annotation, default, is_optional = f"{annotation} | None", "None", True
        return Field(
            name=field_proto.name,
            python_name=naming.python_identifier(field_proto.name),
            json_name=field_proto.json_name or naming.camel_case(field_proto.name),
            number=field_proto.number,
            kind=kind,
            proto_type=field_proto.type_name or (typemap.scalar_type(field_proto.type) or typemap.PythonType("", "", "")).proto_type,
            annotation=annotation,
            default=default,
            default_factory=default_factory,
            is_repeated=is_repeated,
            is_optional=is_optional,
            type_class=type_class,
            comment=self.comment(file_name, path),
            location=location,
            oneof=oneof_names[field_proto.oneof_index] if in_oneof else "",
        )

    def build_message(self, declaration: _Declaration, role: MessageRole, is_domain: bool) -> Message:
        message_proto = declaration.proto
        assert isinstance(message_proto, d.DescriptorProto)
        fields = []
        seen: dict[str, Field] = {}
        for index, field_proto in enumerate(message_proto.field):
            oneof_names = tuple(o.name for o in message_proto.oneof_decl)
            built = self.build_field(field_proto, declaration.file_name, (*declaration.path, MESSAGE_FIELD, index), oneof_names)
            other = seen.get(built.python_name)
            if other is not None:
                self.report(
                    error(
                        f"fields '{other.name}' and '{built.name}' of {declaration.class_name} both become "
                        f"'{built.python_name}' in Python (first declared at {other.location})",
                        "Rename one of them",
                        built.location,
                    )
                )
            seen[built.python_name] = built
            fields.append(built)
        dependencies = tuple(dict.fromkeys(f.type_class for f in fields if f.type_class))
        return Message(
            name=message_proto.name,
            full_name=declaration.full_name,
            class_name=declaration.class_name,
            fields=tuple(fields),
            role=role,
            is_domain=is_domain,
            proto_file=declaration.file_name,
            comment=self.comment(declaration.file_name, declaration.path),
            location=self.where(declaration.file_name, declaration.path),
            dependencies=dependencies,
        )

    def build_enum(self, declaration: _Declaration) -> Enum:
        enum_proto = declaration.proto
        assert isinstance(enum_proto, d.EnumDescriptorProto)
        values = tuple(
            EnumValue(
                naming.python_identifier(v.name), v.number, self.comment(declaration.file_name, (*declaration.path, ENUM_VALUE, i)), v.name
            )
            for i, v in enumerate(enum_proto.value)
        )
        return Enum(
            enum_proto.name,
            declaration.full_name,
            declaration.class_name,
            values,
            self.comment(declaration.file_name, declaration.path),
            self.where(declaration.file_name, declaration.path),
        )

    # -- the whole project ---------------------------------------------------

    def _used_types(self, roots: list[str]) -> list[str]:
        """Return `roots` and every message/enum they reach, depth first, dependencies first."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(full_name: str) -> None:
            if full_name in seen or full_name not in self.declarations:
                return
            seen.add(full_name)
            proto = self.declarations[full_name].proto
            if isinstance(proto, d.DescriptorProto):
                for field_proto in proto.field:
                    if field_proto.type_name and not typemap.is_well_known(field_proto.type_name):
                        target = self.declarations.get(field_proto.type_name)
                        if target is not None and self._is_map_entry(field_proto.type_name):
                            for entry_field in target.proto.field:  # type: ignore[union-attr]
                                if entry_field.type_name and not typemap.is_well_known(entry_field.type_name):
                                    visit(entry_field.type_name)
                        else:
                            visit(field_proto.type_name)
            order.append(full_name)

        for root in roots:
            visit(root)
        return order

    def _reject_editions(self, generate: list[d.FileDescriptorProto]) -> None:
        """Editions files carry field presence in features this builder does not read yet."""
        for file_proto in generate:
            if file_proto.syntax == "editions":
                edition = d.Edition.Name(file_proto.edition).removeprefix("EDITION_").lower()
                self.report(
                    error(
                        f"{file_proto.name} uses edition {edition}; potter-gen does not support editions yet",
                        'Use syntax = "proto3"',
                        self.where(file_proto.name, (d.FileDescriptorProto.SYNTAX_FIELD_NUMBER,)),
                    )
                )

    def build(self) -> Project:
        generate = [self.files[name] for name in self.loaded.files_to_generate]
        self._reject_editions(generate)
        errors = [x for x in self.diagnostics if x.severity is Severity.ERROR]
        if errors:
            raise ValidationError(errors)
        own = [
            full
            for full, decl in self.declarations.items()
            if decl.file_name in self.loaded.files_to_generate and not self._is_map_entry(full)
        ]
        rpc_types = {
            method.input_type
            for file_proto in generate
            for service in file_proto.service
            for method in service.method
        } | {method.output_type for file_proto in generate for service in file_proto.service for method in service.method}

        message_options = {
            full: options.read_message_options(decl.proto)
            for full, decl in self.declarations.items()
            if isinstance(decl.proto, d.DescriptorProto)
        }

        inferred_aggregates = self._inferred_aggregates(generate, message_options)

        def role_of(full: str) -> MessageRole:
            opts = message_options.get(full)
            if full in inferred_aggregates:
                return MessageRole.AGGREGATE
            if opts is None:
                return MessageRole.PLAIN
            if opts.aggregate:
                return MessageRole.AGGREGATE
            if opts.event:
                return MessageRole.EVENT
            if opts.error_event:
                return MessageRole.ERROR_EVENT
            if opts.is_value_object:
                return MessageRole.VALUE_OBJECT
            return MessageRole.PLAIN

        domain_roots = [f for f in own if role_of(f) is not MessageRole.PLAIN or f not in rpc_types]
        domain = self._used_types(domain_roots)
        everything = self._used_types(domain + own + sorted(rpc_types))
        self._namespace_clashing_names(everything)
        domain_set = set(domain)

        enums: list[Enum] = []
        messages: list[Message] = []
        for full in [f for f in everything if f in domain_set] + [f for f in everything if f not in domain_set]:
            declaration = self.declarations[full]
            if isinstance(declaration.proto, d.EnumDescriptorProto):
                enums.append(self.build_enum(declaration))
            else:
                messages.append(self.build_message(declaration, role_of(full), full in domain_set))
        self._check_class_names(enums, messages)
        self._check_single_role(messages, message_options)
        by_full_name = {m.full_name: m for m in messages}

        aggregates = self._build_aggregates(messages, message_options, inferred_aggregates)
        error_events = tuple(
            ErrorEvent(
                message=m,
                class_name=m.class_name if m.class_name.endswith("Error") else m.class_name.removesuffix("Event") + "Error",
                error_code=(message_options[m.full_name].error_event or options.ErrorEventOptions()).error_code
                or naming.snake_case(m.class_name.removesuffix("Event")).upper(),
                retryable=(message_options[m.full_name].error_event or options.ErrorEventOptions()).retryable,
            )
            for m in messages
            if m.role is MessageRole.ERROR_EVENT
        )
        self._check_error_events(error_events)
        services = [self._build_service(file_proto, index, by_full_name, aggregates) for file_proto in generate for index in range(len(file_proto.service))]
        aggregates, services, messages = self._synthesize_missing_events(aggregates, services, messages)
        package = self._package(generate, services)
        self._check_rpc_names(services)
        self._warn_unstored_fields(services)

        transports = tuple(dict.fromkeys(t for s in services for t in s.transports)) or ("REST",)
        errors = [x for x in self.diagnostics if x.severity is Severity.ERROR]
        if errors:
            raise ValidationError(sorted(errors, key=_diagnostic_order))
        title = services[0].name if services else naming.pascal_case(package)
        return Project(
            package=package,
            proto_files=self.loaded.files_to_generate,
            services=tuple(services),
            enums=tuple(enums),
            messages=tuple(messages),
            aggregates=tuple(aggregates.values()),
            error_events=error_events,
            transports=transports,
            title=title,
            diagnostics=tuple(self.diagnostics),
        )

    def _namespace_clashing_names(self, used: list[str]) -> None:
        """Prefix class names that equal types of other proto packages share (DESIGN.md: namespace them).

        `acme.orders.v1.State` and `acme.billing.v1.State` become `OrdersState`
        and `BillingState`; when the last package segments clash too, the whole
        package is used (`AcmeOrdersState`). A type named like something the
        generated code imports (`naming.GENERATED_CODE_NAMES`), a Python keyword or a
        builtin (`naming.is_reserved_class_name`) is prefixed the same way.
        """
        by_name: dict[str, list[str]] = {}
        for full in used:
            by_name.setdefault(self.declarations[full].class_name, []).append(full)
        for clashing in (names for names in by_name.values() if len(names) > 1):
            packages = {full: self.files[self.declarations[full].file_name].package for full in clashing}
            if len(set(packages.values())) < len(clashing):
                continue  # a clash inside one package: reported by _check_class_names
            short = {full: naming.package_from_proto_package(package) for full, package in packages.items()}
            distinct = len(set(short.values())) == len(clashing) and all(short.values())
            for full in clashing:
                prefix = short[full] if distinct else packages[full].replace(".", "_")
                declaration = self.declarations[full]
                self.declarations[full] = replace(declaration, class_name=naming.pascal_case(prefix) + declaration.class_name)
        for full in used:
            declaration = self.declarations[full]
            if naming.is_reserved_class_name(declaration.class_name):
                package = naming.package_from_proto_package(self.files[declaration.file_name].package) or "proto"
                self.declarations[full] = replace(declaration, class_name=naming.pascal_case(package) + declaration.class_name)

    def _check_class_names(self, enums: list[Enum], messages: list[Message]) -> None:
        seen: dict[str, ProtoLocation] = {}
        for name, location in [(e.class_name, e.location) for e in enums] + [(m.class_name, m.location) for m in messages]:
            if name in seen:
                self.report(
                    error(
                        f"'{name}' is declared twice in the generated code (also at {seen[name]})",
                        "Rename one of the types; names must be unique across the protos of one project",
                        location,
                    )
                )
            seen.setdefault(name, location)

    def _check_single_role(self, messages: list[Message], message_options: dict[str, options.MessageOptions]) -> None:
        """Report messages with more than one of (potter.aggregate), (potter.event), (potter.error_event), (potter.value_object).

        A message plays one role; the builder would otherwise silently take
        the first of aggregate, event, error event, value object.
        """
        for message in messages:
            opts = message_options.get(message.full_name)
            if opts is None:
                continue
            given = [
                (option, number)
                for option, number, present in (
                    ("aggregate", ext.aggregate.number, opts.aggregate is not None),
                    ("event", ext.event.number, opts.event is not None),
                    ("error_event", ext.error_event.number, opts.error_event is not None),
                    ("value_object", ext.value_object.number, opts.is_value_object),
                )
                if present
            ]
            if len(given) > 1:
                self.report(
                    error(
                        f"message {message.name} is annotated as {' and '.join(f'(potter.{option})' for option, _ in given)}",
                        "Keep exactly one: a message is an aggregate, an event, an error event or a value object",
                        self._option_location(message, given[1][1]),
                    )
                )

    def _check_error_events(self, error_events: tuple[ErrorEvent, ...]) -> None:
        """Report error events that share an error code or a Python class.

        The SDK's `errors.py` maps each problem+json `code` to one class, and
        `domain/errors.py` defines one class per error event: both must be unique.
        """
        codes: dict[str, ErrorEvent] = {}
        classes: dict[str, ErrorEvent] = {}
        for error_event in error_events:
            where = self._option_location(error_event.message, ext.error_event.number)
            first = codes.setdefault(error_event.error_code, error_event)
            if first is not error_event:
                self.report(
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
                self.report(
                    error(
                        f"error events {first.message.name} (at {first.message.location}) and {error_event.message.name} "
                        f"both become the error class '{error_event.class_name}' in Python",
                        "Rename one of them",
                        where,
                    )
                )

    # -- aggregates and events -------------------------------------------------

    def _option_location(self, message: Message, extension: int) -> ProtoLocation:
        declaration = self.declarations[message.full_name]
        return self.where(declaration.file_name, (*declaration.path, MESSAGE_OPTIONS, extension))

    def _build_aggregates(
        self, messages: list[Message], message_options: dict[str, options.MessageOptions], inferred: dict[str, str]
    ) -> dict[str, Aggregate]:
        aggregates: dict[str, Aggregate] = {}
        modules: dict[str, Aggregate] = {}
        for message in messages:
            opts = message_options[message.full_name].aggregate
            if message.full_name in inferred:
                opts = options.AggregateOptions()
                self.inferred(
                    f"{message.name}: no (potter.aggregate); inferred an event-sourced aggregate from {inferred[message.full_name]}",
                    "option (potter.aggregate) = {} to the message, or (potter.value_object) if it is not one",
                    message.location,
                )
            if message.role is not MessageRole.AGGREGATE or opts is None:
                continue
            name = opts.name or message.name
            location = message.location if message.full_name in inferred else self._option_location(message, ext.aggregate.number)
            if not (name.isascii() and name.isidentifier()):
                # ASCII: Python imports `ﬁle` (NFKC) as `file`, so the module file would not be found.
                what = "an ASCII identifier" if name.isidentifier() else "an identifier"
                self.report(error(f"aggregate name {name!r} is not {what}", "Use a PascalCase name such as 'Item'", location))
                continue
            if not naming.is_module_name(naming.snake_case(name)):
                # The module names files and attributes: `_` would give `aggregates/.py`, `From` `import .from`.
                self.report(
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
                self.report(
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
        for message in messages:
            event_opts = message_options[message.full_name].event
            if message.role is not MessageRole.EVENT or event_opts is None or not event_opts.aggregate:
                continue
            if event_opts.aggregate not in aggregates:
                known = ", ".join(sorted(aggregates)) or "none"
                self.report(
                    error(
                        f"event {message.name} names unknown aggregate {event_opts.aggregate!r}",
                        f"Use one of the declared aggregates ({known}) or declare it with (potter.aggregate)",
                        self._option_location(message, ext.event.number),
                    )
                )
                continue
            aggregate = aggregates[event_opts.aggregate]
            event = self._event(message, aggregate, event_opts.event_type, event_opts.version or 1, is_declared=True)
            first_event = next((e for e in events[aggregate.name] if e.event_type == event.event_type), None)
            if first_event is not None:
                # The aggregate's `event_types` maps a stored type to one class: the second would replay as the first.
                self.report(
                    error(
                        f"events {first_event.message.name} (at {first_event.message.location}) and {message.name} "
                        f"of aggregate {aggregate.name} both have event_type {event.event_type!r}",
                        "Give each event of an aggregate its own event_type",
                        self._option_location(message, ext.event.number),
                    )
                )
                continue
            events[aggregate.name].append(event)
        return {name: replace(a, events=tuple(events[name])) for name, a in aggregates.items()}

    def _event(self, message: Message, aggregate: Aggregate, event_type: str, version: int, is_declared: bool) -> Event:
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

    def _synthesize_missing_events(
        self, aggregates: dict[str, Aggregate], services: list[Service], messages: list[Message]
    ) -> tuple[dict[str, Aggregate], list[Service], list[Message]]:
        """Add created/updated/deleted events that standard methods need and the proto lacks."""
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
            id_field = self._synthetic_id_field(aggregate, rpc.location)
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
            event = self._event(message, aggregate, f"{aggregate.module}.{kind}", 1, is_declared=False)
            aggregate = replace(aggregate, events=(*aggregate.events, event))
            aggregates[aggregate.name] = aggregate
            self.report(
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

    def _warn_unstored_fields(self, services: list[Service]) -> None:
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
                self.report(
                    warning(
                        f"{rpc.name}: {plan.event.class_name} has no field for {', '.join(lost)} "
                        f"that {rpc.request.class_name} sets, so the default handler does not store them",
                        f"Add the fields to {plan.event.class_name} to keep them",
                        plan.event.message.location,
                    )
                )

    def _synthetic_id_field(self, aggregate: Aggregate, location: ProtoLocation) -> Field:
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

    # -- services and RPCs -------------------------------------------------

    def _build_service(
        self, file_proto: d.FileDescriptorProto, index: int, messages: dict[str, Message], aggregates: dict[str, Aggregate]
    ) -> Service:
        service_proto = file_proto.service[index]
        path: Path = (FILE_SERVICE, index)
        service_options = options.read_service_options(service_proto) or options.ServiceOptions()
        option_location = self.where(file_proto.name, (*path, SERVICE_OPTIONS, ext.service.number))
        transports = []
        for raw in service_options.transports or ("REST",):
            known = KNOWN_TRANSPORTS.get(raw.strip().lower())
            if known is None:
                valid = ", ".join(KNOWN_TRANSPORTS.values())
                self.report(error(f"unknown transport {raw!r} in service {service_proto.name}", f"Use one of: {valid}", option_location))
                continue
            if known not in BUILT_TRANSPORTS:
                self.report(
                    warning(
                        f"transport '{known}' of service {service_proto.name} is not generated yet; only REST is served",
                        "The other transports are planned; the service still runs over REST",
                        option_location,
                    )
                )
            transports.append(known)
        rpcs = []
        for i, method in enumerate(service_proto.method):
            if method.client_streaming:
                kind = "bidirectional" if method.server_streaming else "client"
                self.report(
                    warning(
                        f"RPC {method.name} is {kind} streaming, which only gRPC can serve; REST skips it",
                        "It will be served once the gRPC transport is generated",
                        self.where(file_proto.name, (*path, SERVICE_METHOD, i)),
                    )
                )
                continue
            rpcs.append(self._build_rpc(file_proto, service_proto.name, (*path, SERVICE_METHOD, i), method, messages, aggregates))
        return Service(
            name=service_proto.name,
            full_name=f".{file_proto.package}.{service_proto.name}" if file_proto.package else f".{service_proto.name}",
            transports=tuple(dict.fromkeys(transports)),
            rpcs=tuple(rpcs),
            proto_file=file_proto.name,
            comment=self.comment(file_proto.name, path),
            location=self.where(file_proto.name, path),
        )

    def _build_rpc(
        self,
        file_proto: d.FileDescriptorProto,
        service_name: str,
        path: Path,
        method: d.MethodDescriptorProto,
        messages: dict[str, Message],
        aggregates: dict[str, Aggregate],
    ) -> Rpc:
        location = self.where(file_proto.name, path)
        command = options.read_command_options(method)
        query = options.read_query_options(method)
        is_inferred = command is None and query is None
        if command is not None and query is not None:
            self.report(
                error(
                    f"RPC {method.name} is annotated as both (potter.command) and (potter.query)",
                    "Keep exactly one: commands change state, queries read it",
                    self.where(file_proto.name, (*path, METHOD_OPTIONS, ext.query.number)),
                )
            )
        role = Role.COMMAND if command is not None else Role.QUERY if query is not None else standard_methods.infer_role(method.name)
        if is_inferred:
            self.inferred(
                f"{method.name}: no (potter.command) or (potter.query); inferred {role.value} from its name "
                "(AIP standard method names: Get/List/BatchGet/Search are queries)",
                f"option (potter.{role.value}) = {{}} to the RPC",
                location,
            )
        aggregate_name = ""
        if command is not None and command.aggregate:
            if command.aggregate not in aggregates:
                known = ", ".join(sorted(aggregates)) or "none"
                self.report(
                    error(
                        f"command {method.name} names aggregate {command.aggregate!r} that no message declares",
                        f"Declare it with option (potter.aggregate) on a message, or use one of: {known}",
                        self.where(file_proto.name, (*path, METHOD_OPTIONS, ext.command.number)),
                    )
                )
            else:
                aggregate_name = command.aggregate
        request, response = messages[method.input_type], messages[method.output_type]
        # A streaming RPC is never a standard method (AIP-131..135 are unary).
        match = None if method.server_streaming else standard_methods.match_standard_method(method.name, role, request, aggregates)
        if match is not None and aggregate_name and match[1].name != aggregate_name:
            match = None
        if not aggregate_name:
            aggregate_name = match[1].name if match else standard_methods.aggregate_in_name(method.name, aggregates)
        standard = match[0] if match else None
        plan = standard_methods.plan_standard_method(match[0], match[1], request, response) if match else None
        collection = aggregates[aggregate_name].collection if aggregate_name else naming.collection_id(service_name.removesuffix("Service") or service_name)
        id_field = standard_methods.find_id_field(request, aggregate_name) if aggregate_name else ""
        return Rpc(
            name=method.name,
            service=service_name,
            role=role,
            is_role_inferred=is_inferred,
            request=request,
            response=response,
            aggregate=aggregate_name,
            standard=standard,
            plan=plan,
            http=standard_methods.http_rule(method.name, standard, request, collection, id_field),
            command_options=command,
            query_options=query,
            client_streaming=method.client_streaming,
            server_streaming=method.server_streaming,
            module=naming.python_identifier(naming.snake_case(method.name)),
            comment=self.comment(file_proto.name, path),
            location=location,
        )

    def _check_rpc_names(self, services: list[Service]) -> None:
        modules: dict[str, Rpc] = {}
        routes: dict[tuple[str, str], Rpc] = {}
        for rpc in (r for s in services for r in s.rpcs):
            if not naming.is_module_name(rpc.module):
                # snake_case strips underscores: `_` gives `commands/.py`, `_1` the module `1`.
                self.report(
                    error(
                        f"RPC {rpc.name} becomes the Python module name '{rpc.module}', which cannot be imported",
                        "Use a PascalCase name such as 'GetItem'",
                        rpc.location,
                    )
                )
                continue
            first = modules.setdefault(rpc.module, rpc)
            if first is not rpc:
                self.report(
                    error(
                        f"RPC {rpc.name} and RPC {first.name} (at {first.location}) both become '{rpc.module}' in Python",
                        "Rename one of the RPCs",
                        rpc.location,
                    )
                )
                continue
            key = (rpc.http.method, rpc.http.path)
            first = routes.setdefault(key, rpc)
            if first is not rpc:
                self.report(
                    error(
                        f"RPC {rpc.name} and RPC {first.name} (at {first.location}) both map to {key[0]} {key[1]}",
                        "Rename one of the RPCs",
                        rpc.location,
                    )
                )

    # -- package name --------------------------------------------------------

    def _package(self, generate: list[d.FileDescriptorProto], services: list[Service]) -> str:
        if self.module_override is not None:
            if not naming.is_package_name(self.module_override):
                self.report(
                    error(
                        f"--module {self.module_override!r} is not a valid Python package name",
                        "Use lower-case letters, digits and underscores, starting with a letter, and not a standard-library name",
                    )
                )
            return self.module_override
        named: dict[str, ProtoLocation] = {}
        for file_proto in generate:
            for index, service_proto in enumerate(file_proto.service):
                service_options = options.read_service_options(service_proto)
                if service_options and service_options.module_name:
                    location = self.where(file_proto.name, (FILE_SERVICE, index, SERVICE_OPTIONS, ext.service.number))
                    named.setdefault(service_options.module_name, location)
        if len(named) > 1:
            listing = "; ".join(f"{name!r} at {where}" for name, where in named.items())
            for where in named.values():
                self.report(error(f"services disagree on module_name: {listing}", "Use the same module_name everywhere, or pass --module", where))
            return ""
        if named:
            name, where = next(iter(named.items()))
            if not naming.is_package_name(name):
                self.report(
                    error(
                        f"module_name {name!r} is not a valid Python package name",
                        "Use lower-case letters, digits and underscores, starting with a letter, and not a standard-library name",
                        where,
                    )
                )
            return name
        derived = naming.package_from_proto_package(generate[0].package) if generate else ""
        if derived and not naming.is_package_name(derived) and naming.is_package_name(derived + "_"):
            derived += "_"  # a keyword or standard-library name (`acme.class.v1`, `acme.json.v1`)
        if not derived and generate:
            derived = naming.snake_case(generate[0].name.rsplit("/", 1)[-1].removesuffix(".proto").replace("-", "_"))
        if not naming.is_package_name(derived):
            self.report(error(f"cannot derive a Python package name from '{generate[0].name}'", "Pass --module NAME"))
        else:
            first_service = next(((f, i) for f in generate for i in range(len(f.service))), None)
            self.inferred(
                f"no module_name given; using package '{derived}' derived from the proto package",
                f"option (potter.service) = {{ module_name: \"{derived}\" }} to the service, or pass --module",
                self.where(first_service[0].name, (FILE_SERVICE, first_service[1])) if first_service and self.strict else None,
            )
        return derived


def _diagnostic_order(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    location = diagnostic.location
    return (location.file, location.line, location.column, diagnostic.message) if location else ("", 0, 0, diagnostic.message)


def build_project(loaded: LoadedProtos, module: str | None = None, strict: bool = False) -> Project:
    """Build and validate the IR of one project.

    Args:
        loaded: descriptors from `descriptors.load_protos` (or a plugin request).
        module: the `--module` override of the package name, or None.
        strict: report every inference (RPC role from its name, aggregate
            from `google.api.resource` or a standard method, package from
            the proto package) as an error asking for the explicit option,
            instead of a note. Never changes the output of a valid project.

    Returns:
        The project; its `diagnostics` hold warnings and notes.

    Raises:
        ValidationError: one or more potter rules are broken; every error
            found is listed with its `file:line:col` and a hint.
    """
    return _Builder(loaded, module, strict).build()
