"""The project's Python package name: `--module`, else the services'
`module_name`, else derived from the proto package (DESIGN.md "one run → one
project").

Pure; no I/O. Problems are reported on the `BuildContext`.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2 as d

from potter_gen import naming, options
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.errors import ProtoLocation, error
from potter_gen.locations import FILE_SERVICE, SERVICE_OPTIONS
from potter_gen.model.context import BuildContext

_PACKAGE_HINT = "Use lower-case letters, digits and underscores, starting with a letter, and not a standard-library name"


def build_package(context: BuildContext, generate: list[d.FileDescriptorProto], module_override: str | None) -> str:
    """Return the Python package of the project ("" when it cannot be chosen; an error is reported).

    Args:
        context: the build's declarations and diagnostics.
        generate: the files to generate, in command-line order.
        module_override: the `--module` value, or None.
    """
    if module_override is not None:
        if not naming.is_package_name(module_override):
            context.report(error(f"--module {module_override!r} is not a valid Python package name", _PACKAGE_HINT))
        return module_override
    named: dict[str, ProtoLocation] = {}
    for file_proto in generate:
        for index, service_proto in enumerate(file_proto.service):
            service_options = options.read_service_options(service_proto)
            if service_options and service_options.module_name:
                location = context.where(file_proto.name, (FILE_SERVICE, index, SERVICE_OPTIONS, ext.service.number))
                named.setdefault(service_options.module_name, location)
    if len(named) > 1:
        listing = "; ".join(f"{name!r} at {where}" for name, where in named.items())
        for where in named.values():
            context.report(error(f"services disagree on module_name: {listing}", "Use the same module_name everywhere, or pass --module", where))
        return ""
    if named:
        name, where = next(iter(named.items()))
        if not naming.is_package_name(name):
            context.report(error(f"module_name {name!r} is not a valid Python package name", _PACKAGE_HINT, where))
        return name
    derived = naming.package_from_proto_package(generate[0].package) if generate else ""
    if derived and not naming.is_package_name(derived) and naming.is_package_name(derived + "_"):
        derived += "_"  # a keyword or standard-library name (`acme.class.v1`, `acme.json.v1`)
    if not derived and generate:
        derived = naming.snake_case(generate[0].name.rsplit("/", 1)[-1].removesuffix(".proto").replace("-", "_"))
    if not naming.is_package_name(derived):
        context.report(error(f"cannot derive a Python package name from '{generate[0].name}'", "Pass --module NAME"))
    else:
        first_service = next(((f, i) for f in generate for i in range(len(f.service))), None)
        context.inferred(
            f"no module_name given; using package '{derived}' derived from the proto package",
            f"option (potter.service) = {{ module_name: \"{derived}\" }} to the service, or pass --module",
            context.where(first_service[0].name, (FILE_SERVICE, first_service[1])) if first_service and context.strict else None,
        )
    return derived
