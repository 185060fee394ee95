"""Services and their RPCs → `Service`, `Rpc`: role (declared or inferred),
aggregate, AIP standard method and REST binding, and the Python names of
each RPC's handler.

Pure; no I/O. Problems are reported on the `BuildContext`.
"""

from __future__ import annotations

from dataclasses import replace

from google.protobuf import descriptor_pb2 as d

from potter_gen import naming, options, standard_methods
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.errors import error, warning
from potter_gen.ir import Aggregate, Message, Role, Rpc, Service
from potter_gen.locations import FILE_SERVICE, METHOD_OPTIONS, SERVICE_METHOD, SERVICE_OPTIONS, Path
from potter_gen.model.context import BuildContext

KNOWN_TRANSPORTS = {"rest": "REST", "grpc": "gRPC", "graphql": "GraphQL", "nats": "NATS", "kafka": "Kafka"}
BUILT_TRANSPORTS = frozenset({"REST"})


def build_service(
    context: BuildContext, file_proto: d.FileDescriptorProto, index: int, messages: dict[str, Message], aggregates: dict[str, Aggregate]
) -> Service:
    """Build service `index` of `file_proto` with the RPCs REST can serve.

    Reports unknown transports (error) and transports or client-streaming
    RPCs not generated yet (warnings).
    """
    service_proto = file_proto.service[index]
    path: Path = (FILE_SERVICE, index)
    service_options = options.read_service_options(service_proto) or options.ServiceOptions()
    option_location = context.where(file_proto.name, (*path, SERVICE_OPTIONS, ext.service.number))
    transports = []
    for raw in service_options.transports or ("REST",):
        known = KNOWN_TRANSPORTS.get(raw.strip().lower())
        if known is None:
            valid = ", ".join(KNOWN_TRANSPORTS.values())
            context.report(error(f"unknown transport {raw!r} in service {service_proto.name}", f"Use one of: {valid}", option_location))
            continue
        if known not in BUILT_TRANSPORTS:
            context.report(
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
            context.report(
                warning(
                    f"RPC {method.name} is {kind} streaming, which only gRPC can serve; REST skips it",
                    "It will be served once the gRPC transport is generated",
                    context.where(file_proto.name, (*path, SERVICE_METHOD, i)),
                )
            )
            continue
        rpcs.append(_build_rpc(context, file_proto, service_proto.name, (*path, SERVICE_METHOD, i), method, messages, aggregates))
    return Service(
        name=service_proto.name,
        full_name=f".{file_proto.package}.{service_proto.name}" if file_proto.package else f".{service_proto.name}",
        transports=tuple(dict.fromkeys(transports)),
        rpcs=tuple(rpcs),
        proto_file=file_proto.name,
        comment=context.comment(file_proto.name, path),
        location=context.where(file_proto.name, path),
    )


def _build_rpc(
    context: BuildContext,
    file_proto: d.FileDescriptorProto,
    service_name: str,
    path: Path,
    method: d.MethodDescriptorProto,
    messages: dict[str, Message],
    aggregates: dict[str, Aggregate],
) -> Rpc:
    location = context.where(file_proto.name, path)
    command = options.read_command_options(method)
    query = options.read_query_options(method)
    is_inferred = command is None and query is None
    if command is not None and query is not None:
        context.report(
            error(
                f"RPC {method.name} is annotated as both (potter.command) and (potter.query)",
                "Keep exactly one: commands change state, queries read it",
                context.where(file_proto.name, (*path, METHOD_OPTIONS, ext.query.number)),
            )
        )
    role = Role.COMMAND if command is not None else Role.QUERY if query is not None else standard_methods.infer_role(method.name)
    if is_inferred:
        context.inferred(
            f"{method.name}: no (potter.command) or (potter.query); inferred {role.value} from its name "
            "(AIP standard method names: Get/List/BatchGet/Search are queries)",
            f"option (potter.{role.value}) = {{}} to the RPC",
            location,
        )
    aggregate_name = ""
    if command is not None and command.aggregate:
        if command.aggregate not in aggregates:
            known = ", ".join(sorted(aggregates)) or "none"
            context.report(
                error(
                    f"command {method.name} names aggregate {command.aggregate!r} that no message declares",
                    f"Declare it with option (potter.aggregate) on a message, or use one of: {known}",
                    context.where(file_proto.name, (*path, METHOD_OPTIONS, ext.command.number)),
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
        module=naming.rpc_module(method.name),
        python_name=method.name,
        comment=context.comment(file_proto.name, path),
        location=location,
    )


def namespace_repeated_rpcs(services: list[Service]) -> list[Service]:
    """Prefix the Python names of RPCs that RPCs of other services share with their service's name.

    protobuf scopes RPC names per service (grpc's test.proto declares
    `UnimplementedCall` in two services), while the handler modules, route
    functions and SDK methods of a project share one namespace:
    `TestService.UnimplementedCall` becomes `test_service_unimplemented_call`
    and `TestServiceUnimplementedCallHandler`, served (a custom method) at
    `POST …/test_service_unimplemented_call`. When the services' names are
    equal too (two proto packages), their full names are used. RPCs whose
    names no other service repeats keep them, so adding a service changes
    nothing else.
    """
    services_of: dict[str, set[str]] = {}
    for service in services:
        for rpc in service.rpcs:
            services_of.setdefault(rpc.module, set()).add(service.full_name)
    names = [s.name for s in services]
    renamed = []
    for service in services:
        prefix = service.name if names.count(service.name) == 1 else naming.pascal_case(service.full_name.lstrip(".").replace(".", "_"))
        rpcs = tuple(
            _namespaced(rpc, prefix) if len(services_of[rpc.module]) > 1 else rpc for rpc in service.rpcs
        )
        renamed.append(replace(service, rpcs=rpcs))
    return renamed


def _namespaced(rpc: Rpc, prefix: str) -> Rpc:
    """Return `rpc` under the name `prefix + rpc.name`; a custom method's route (`…/<rpc_snake>`) follows it."""
    http = rpc.http
    own_segment = "/" + naming.snake_case(rpc.name)
    if http.method == "POST" and http.path.endswith(own_segment):
        http = replace(http, path=http.path[: -len(own_segment)] + "/" + naming.snake_case(prefix + rpc.name))
    return replace(rpc, module=naming.rpc_module(prefix + rpc.name), python_name=prefix + rpc.name, http=http)


def check_rpc_names(context: BuildContext, services: list[Service]) -> None:
    """Report RPCs whose handler module cannot be imported or is shared, and RPCs sharing a REST route.

    Run after `namespace_repeated_rpcs`: what is left shared is a clash inside one service.
    """
    modules: dict[str, Rpc] = {}
    routes: dict[tuple[str, str], Rpc] = {}
    for rpc in (r for s in services for r in s.rpcs):
        if not naming.is_module_name(rpc.module):
            # snake_case strips underscores: `_` gives `commands/.py`, `_1` the module `1`.
            context.report(
                error(
                    f"RPC {rpc.name} becomes the Python module name '{rpc.module}', which cannot be imported",
                    "Use a PascalCase name such as 'GetItem'",
                    rpc.location,
                )
            )
            continue
        first = modules.setdefault(rpc.module, rpc)
        if first is not rpc:
            context.report(
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
            context.report(
                error(
                    f"RPC {rpc.name} and RPC {first.name} (at {first.location}) both map to {key[0]} {key[1]}",
                    "Rename one of the RPCs",
                    rpc.location,
                )
            )
