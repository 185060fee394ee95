"""Descriptors + potter options → the validated IR (`ir.Project`).

All validation happens while building. Every problem becomes a `Diagnostic`
carrying the proto element's `file:line:col` and a hint; all of them are
collected before failing once with `ValidationError`. Warnings and notes
(transports not built yet, inferred roles, synthesized events) travel on
the project. This module runs the steps of `potter_gen.model` in order; each
concern lives in its own module there. Pure; no I/O.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2 as d

from potter_gen import naming
from potter_gen.descriptors import LoadedProtos
from potter_gen.errors import Diagnostic, ValidationError, error
from potter_gen.ir import Enum, Message, MessageRole, Project
from potter_gen.model import aggregates, messages, option_values, package, services
from potter_gen.model.context import BuildContext
from potter_gen.model.roles import MessageRoles


def _diagnostic_order(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    location = diagnostic.location
    return (location.file, location.line, location.column, diagnostic.message) if location else ("", 0, 0, diagnostic.message)


def _reject_editions(context: BuildContext, generate: list[d.FileDescriptorProto]) -> None:
    """Editions files carry field presence in features this builder does not read yet."""
    for file_proto in generate:
        if file_proto.syntax == "editions":
            edition = d.Edition.Name(file_proto.edition).removeprefix("EDITION_").lower()
            context.report(
                error(
                    f"{file_proto.name} uses edition {edition}; potter-gen does not support editions yet",
                    'Use syntax = "proto3"',
                    context.where(file_proto.name, (d.FileDescriptorProto.SYNTAX_FIELD_NUMBER,)),
                )
            )


def _fail_on_errors(context: BuildContext, ordered: bool = True) -> None:
    errors = context.errors()
    if errors:
        raise ValidationError(sorted(errors, key=_diagnostic_order) if ordered else errors)


def build_project(loaded: LoadedProtos, module: str | None = None, strict: bool = False) -> Project:
    """Build and validate the IR of one project.

    Args:
        loaded: descriptors from `descriptors.load_protos` (or a plugin request).
        module: the `--module` override of the package name, or None.
        strict: report every inference (RPC role from its name, aggregate
            from `google.api.resource` or a standard method, package from
            the proto package) as an error asking for the explicit option,
            instead of a note, and a repository potter-gen does not serve
            as an error instead of a warning. Never changes the output of a
            project it accepts.

    Returns:
        The project; its `diagnostics` hold warnings and notes.

    Raises:
        ValidationError: one or more potter rules are broken; every error
            found is listed with its `file:line:col` and a hint.
    """
    context = BuildContext(loaded, strict)
    generate = [context.files[name] for name in loaded.files_to_generate]
    _reject_editions(context, generate)
    _fail_on_errors(context, ordered=False)
    own = [full for full, decl in context.declarations.items() if decl.file_name in loaded.files_to_generate and not context.is_map_entry(full)]
    methods = [method for file_proto in generate for service in file_proto.service for method in service.method]
    rpc_types = {method.input_type for method in methods} | {method.output_type for method in methods}
    roles = MessageRoles(context, generate)

    domain_roots = [f for f in own if roles.role_of(f) is not MessageRole.PLAIN or f not in rpc_types]
    domain = messages.used_types(context, domain_roots)
    everything = messages.used_types(context, domain + own + sorted(rpc_types))
    messages.namespace_clashing_names(context, everything)
    domain_set = set(domain)

    enums: list[Enum] = []
    built: list[Message] = []
    for full in [f for f in everything if f in domain_set] + [f for f in everything if f not in domain_set]:
        declaration = context.declarations[full]
        if isinstance(declaration.proto, d.EnumDescriptorProto):
            enums.append(messages.build_enum(context, declaration))
        else:
            built.append(messages.build_message(context, declaration, roles.role_of(full), full in domain_set))
    messages.check_class_names(context, enums, built)
    roles.check_single_role(context, built)
    by_full_name = {m.full_name: m for m in built}

    project_aggregates = aggregates.build_aggregates(context, built, roles)
    error_events = aggregates.build_error_events(context, built, roles)
    project_services = [
        services.build_service(context, file_proto, index, by_full_name, project_aggregates)
        for file_proto in generate
        for index in range(len(file_proto.service))
    ]
    for file_proto in generate:
        for service_index, service_proto in enumerate(file_proto.service):
            option_values.check_service_options(context, file_proto, service_index)
            for method_index in range(len(service_proto.method)):
                option_values.check_method_options(context, file_proto, service_index, method_index)
    option_values.check_message_options(context, built, roles)
    project_services = services.namespace_repeated_rpcs(project_services)
    project_aggregates, project_services, built = aggregates.synthesize_missing_events(context, project_aggregates, project_services, built)
    package_name = package.build_package(context, generate, module)
    services.check_rpc_names(context, project_services)
    aggregates.warn_unstored_fields(context, project_services)

    transports = tuple(dict.fromkeys(t for s in project_services for t in s.transports)) or ("REST",)
    _fail_on_errors(context)
    return Project(
        package=package_name,
        proto_files=loaded.files_to_generate,
        services=tuple(project_services),
        enums=tuple(enums),
        messages=tuple(built),
        aggregates=tuple(project_aggregates.values()),
        error_events=error_events,
        transports=transports,
        title=project_services[0].name if project_services else naming.pascal_case(package_name),
        diagnostics=tuple(context.diagnostics),
    )
