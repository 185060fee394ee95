"""What every step of the model builder shares: the file set's declarations,
source locations and comments, and the diagnostics collected so far.

Pure; no I/O. Never raises on bad input: problems are reported as
diagnostics and the caller fails once with all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf import descriptor_pb2 as d

from potter_gen.descriptors import LoadedProtos
from potter_gen.errors import Diagnostic, ProtoLocation, Severity, error, note
from potter_gen.ir import Message
from potter_gen.locations import (
    FILE_ENUM,
    FILE_MESSAGE,
    MESSAGE_ENUM,
    MESSAGE_NESTED,
    MESSAGE_OPTIONS,
    Path,
    SourceIndex,
)


@dataclass(frozen=True)
class Declaration:
    """A message or enum of the file set, with where it is declared.

    Attributes:
        full_name: fully-qualified proto name with the leading dot.
        class_name: the generated Python class name (nested names joined:
            `Outer.Inner` → `OuterInner`; prefixed when it would clash).
        file_name: the `.proto` that declares it.
        path: its `SourceCodeInfo` path in that file.
        proto: the `DescriptorProto` or `EnumDescriptorProto`.
    """

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


class BuildContext:
    """The declarations of one file set and the diagnostics of one build.

    Args:
        loaded: descriptors from `descriptors.load_protos` (or a plugin request).
        strict: report inferences as errors instead of notes (`--strict`).
    """

    def __init__(self, loaded: LoadedProtos, strict: bool = False) -> None:
        self.loaded = loaded
        self.strict = strict
        self.diagnostics: list[Diagnostic] = []
        self.sources = {f.name: SourceIndex(f, loaded.display_path(f.name)) for f in loaded.file_set.file}
        self.files = {f.name: f for f in loaded.file_set.file}
        self.declarations: dict[str, Declaration] = {}
        # The generated class names of the project's types, once they are final (`messages.namespace_clashing_names`).
        self.class_names: frozenset[str] = frozenset()
        for file_proto in loaded.file_set.file:
            prefix = f".{file_proto.package}" if file_proto.package else ""
            for index, enum_proto in enumerate(file_proto.enum_type):
                full = f"{prefix}.{enum_proto.name}"
                self.declarations[full] = Declaration(full, enum_proto.name, file_proto.name, (FILE_ENUM, index), enum_proto)
            for full, cls, path, proto in _walk_messages(list(file_proto.message_type), prefix, "", (FILE_MESSAGE,)):
                self.declarations[full] = Declaration(full, cls, file_proto.name, path, proto)

    def where(self, file_name: str, path: Path) -> ProtoLocation:
        """Return the location of the element at `path` in `file_name`."""
        return self.sources[file_name].location(path)

    def comment(self, file_name: str, path: Path) -> str:
        """Return the proto comment of the element at `path`, lines right-trimmed."""
        # Trailing spaces on a comment's lines are invisible in the proto and ruff's W291 in a docstring.
        return "\n".join(line.rstrip() for line in self.sources[file_name].comments(path).text.splitlines())

    def report(self, diagnostic: Diagnostic) -> None:
        """Collect one diagnostic."""
        self.diagnostics.append(diagnostic)

    def errors(self) -> list[Diagnostic]:
        """Return the errors collected so far."""
        return [x for x in self.diagnostics if x.severity is Severity.ERROR]

    def inferred(self, what: str, option: str, location: ProtoLocation | None) -> None:
        """Report an inference: a note, or with --strict an error asking for the explicit option."""
        if self.strict:
            self.report(error(f"{what}; --strict requires it explicit", f"Add {option}", location))
        else:
            self.report(note(what, location))

    def option_location(self, message: Message, extension: int) -> ProtoLocation:
        """Return the location of potter option `extension` (a field number) on `message`."""
        declaration = self.declarations[message.full_name]
        return self.where(declaration.file_name, (*declaration.path, MESSAGE_OPTIONS, extension))

    def is_map_entry(self, type_name: str) -> bool:
        """Tell whether `type_name` is the synthetic entry message of a map field."""
        declaration = self.declarations.get(type_name)
        return declaration is not None and isinstance(declaration.proto, d.DescriptorProto) and declaration.proto.options.map_entry
