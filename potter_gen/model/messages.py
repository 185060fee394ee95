"""Messages and enums of the file set → `Message`, `Field`, `Enum` with their
Python class, attribute and annotation names.

Decides which types a project uses and in what order, and names their
classes so that no two collide and none shadows what the generated modules
import. Pure; no I/O. Problems are reported on the `BuildContext`.
"""

from __future__ import annotations

from dataclasses import replace

from google.protobuf import descriptor_pb2 as d

from potter_gen import naming, typemap
from potter_gen.errors import ProtoLocation, error
from potter_gen.ir import Enum, EnumValue, Field, FieldKind, Message, MessageRole
from potter_gen.locations import ENUM_VALUE, MESSAGE_FIELD, Path
from potter_gen.model.context import BuildContext, Declaration

F = d.FieldDescriptorProto


def used_types(context: BuildContext, roots: list[str]) -> list[str]:
    """Return `roots` and every message/enum they reach, depth first, dependencies first."""
    declarations = context.declarations
    order: list[str] = []
    seen: set[str] = set()

    def visit(full_name: str) -> None:
        if full_name in seen or full_name not in declarations:
            return
        seen.add(full_name)
        proto = declarations[full_name].proto
        if isinstance(proto, d.DescriptorProto):
            for field_proto in proto.field:
                if field_proto.type_name and not typemap.is_well_known(field_proto.type_name):
                    target = declarations.get(field_proto.type_name)
                    if target is not None and context.is_map_entry(field_proto.type_name):
                        for entry_field in target.proto.field:  # type: ignore[union-attr]
                            if entry_field.type_name and not typemap.is_well_known(entry_field.type_name):
                                visit(entry_field.type_name)
                    else:
                        visit(field_proto.type_name)
        order.append(full_name)

    for root in roots:
        visit(root)
    return order


def namespace_clashing_names(context: BuildContext, used: list[str]) -> None:
    """Prefix class names that equal types of other proto packages share (DESIGN.md: namespace them).

    `acme.orders.v1.State` and `acme.billing.v1.State` become `OrdersState`
    and `BillingState`; when the last package segments clash too, the whole
    package is used (`AcmeOrdersState`). A type named like something the
    generated code imports (`naming.GENERATED_CODE_NAMES`), a Python keyword or a
    builtin (`naming.is_reserved_class_name`) is prefixed the same way.
    Updates `context.declarations` in place and sets `context.class_names`.
    """
    declarations, files = context.declarations, context.files
    by_name: dict[str, list[str]] = {}
    for full in used:
        by_name.setdefault(declarations[full].class_name, []).append(full)
    for clashing in (names for names in by_name.values() if len(names) > 1):
        packages = {full: files[declarations[full].file_name].package for full in clashing}
        if len(set(packages.values())) < len(clashing):
            continue  # a clash inside one package: reported by check_class_names
        short = {full: naming.package_from_proto_package(package) for full, package in packages.items()}
        distinct = len(set(short.values())) == len(clashing) and all(short.values())
        for full in clashing:
            prefix = short[full] if distinct else packages[full].replace(".", "_")
            declaration = declarations[full]
            declarations[full] = replace(declaration, class_name=naming.pascal_case(prefix) + declaration.class_name)
    for full in used:
        declaration = declarations[full]
        if naming.is_reserved_class_name(declaration.class_name):
            package = naming.package_from_proto_package(files[declaration.file_name].package) or "proto"
            declarations[full] = replace(declaration, class_name=naming.pascal_case(package) + declaration.class_name)
    context.class_names = frozenset(declarations[full].class_name for full in used)


def check_class_names(context: BuildContext, enums: list[Enum], messages: list[Message]) -> None:
    """Report two types of the project that become one Python class name."""
    seen: dict[str, ProtoLocation] = {}
    for name, location in [(e.class_name, e.location) for e in enums] + [(m.class_name, m.location) for m in messages]:
        if name in seen:
            context.report(
                error(
                    f"'{name}' is declared twice in the generated code (also at {seen[name]})",
                    "Rename one of the types; names must be unique across the protos of one project",
                    location,
                )
            )
        seen.setdefault(name, location)


def _value_type(context: BuildContext, field_proto: d.FieldDescriptorProto) -> tuple[str, str, FieldKind, str]:
    """Return (annotation, default, kind, type_class) of one non-repeated value."""
    scalar = typemap.scalar_type(field_proto.type)
    if scalar is not None:
        return scalar.annotation, scalar.default, FieldKind.SCALAR, ""
    type_name = field_proto.type_name
    if typemap.is_well_known(type_name):
        return typemap.WELL_KNOWN[type_name], "None", FieldKind.MESSAGE, ""
    declaration = context.declarations[type_name]
    if field_proto.type == F.TYPE_ENUM:
        enum_proto = declaration.proto
        assert isinstance(enum_proto, d.EnumDescriptorProto)
        first = enum_proto.value[0].name if enum_proto.value else ""
        first = naming.enum_member(first)
        return declaration.class_name, f"{declaration.class_name}.{first}", FieldKind.ENUM, declaration.class_name
    return declaration.class_name, "None", FieldKind.MESSAGE, declaration.class_name


def build_field(
    context: BuildContext, field_proto: d.FieldDescriptorProto, file_name: str, path: Path, oneof_names: tuple[str, ...] = ()
) -> Field:
    """Build one field: its Python attribute and annotation, JSON name and default."""
    location = context.where(file_name, path)
    # proto3 `optional` is a synthetic oneof; only real oneofs get the at-most-one check.
    in_oneof = field_proto.HasField("oneof_index") and not field_proto.proto3_optional
    # proto2 singular fields have presence (descriptor.proto: LABEL_OPTIONAL in a proto2 file).
    has_presence = field_proto.proto3_optional or (
        context.files[file_name].syntax in ("", "proto2") and field_proto.label == F.LABEL_OPTIONAL
    )
    is_repeated = field_proto.label == F.LABEL_REPEATED
    annotation, default, kind, type_class = _value_type(context, field_proto)
    default_factory = ""
    is_optional = False
    if is_repeated and context.is_map_entry(field_proto.type_name):
        entry = context.declarations[field_proto.type_name].proto
        key, value = entry.field[0], entry.field[1]  # type: ignore[union-attr]
        key_annotation = _value_type(context, key)[0]
        value_annotation, _, _, value_class = _value_type(context, value)
        annotation, kind, type_class = f"dict[{key_annotation}, {value_annotation}]", FieldKind.MAP, value_class
        default, default_factory = "", "dict"
    elif is_repeated:
        annotation, default, default_factory = f"list[{annotation}]", "", "list"
    elif kind is FieldKind.MESSAGE or has_presence or in_oneof:
        annotation, default, is_optional = f"{annotation} | None", "None", True
    return Field(
        name=field_proto.name,
        python_name=naming.field_attribute(field_proto.name, context.class_names),
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
        comment=context.comment(file_name, path),
        location=location,
        oneof=oneof_names[field_proto.oneof_index] if in_oneof else "",
    )


def build_message(context: BuildContext, declaration: Declaration, role: MessageRole, is_domain: bool) -> Message:
    """Build one message; report fields that become one Python attribute."""
    message_proto = declaration.proto
    assert isinstance(message_proto, d.DescriptorProto)
    fields = []
    seen: dict[str, Field] = {}
    for index, field_proto in enumerate(message_proto.field):
        oneof_names = tuple(o.name for o in message_proto.oneof_decl)
        built = build_field(context, field_proto, declaration.file_name, (*declaration.path, MESSAGE_FIELD, index), oneof_names)
        other = seen.get(built.python_name)
        if other is not None:
            context.report(
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
        comment=context.comment(declaration.file_name, declaration.path),
        location=context.where(declaration.file_name, declaration.path),
        dependencies=dependencies,
    )


def build_enum(context: BuildContext, declaration: Declaration) -> Enum:
    """Build one enum; its members keep the proto value names as their JSON values."""
    enum_proto = declaration.proto
    assert isinstance(enum_proto, d.EnumDescriptorProto)
    values = tuple(
        EnumValue(
            naming.enum_member(v.name), v.number, context.comment(declaration.file_name, (*declaration.path, ENUM_VALUE, i)), v.name
        )
        for i, v in enumerate(enum_proto.value)
    )
    return Enum(
        enum_proto.name,
        declaration.full_name,
        declaration.class_name,
        values,
        context.comment(declaration.file_name, declaration.path),
        context.where(declaration.file_name, declaration.path),
    )
