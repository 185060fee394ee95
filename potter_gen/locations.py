"""Map `SourceCodeInfo` paths to `ProtoLocation`s and comments.

Paths are tuples of field numbers and indexes as described in
descriptor.proto (`SourceCodeInfo.Location.path`); they are built here from
the `*_FIELD_NUMBER` constants, never from bare numbers. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pb2 as d

from potter_gen.errors import ProtoLocation

Path = tuple[int, ...]

FILE_MESSAGE = d.FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER
FILE_ENUM = d.FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER
FILE_SERVICE = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
MESSAGE_FIELD = d.DescriptorProto.FIELD_FIELD_NUMBER
MESSAGE_NESTED = d.DescriptorProto.NESTED_TYPE_FIELD_NUMBER
MESSAGE_ENUM = d.DescriptorProto.ENUM_TYPE_FIELD_NUMBER
MESSAGE_OPTIONS = d.DescriptorProto.OPTIONS_FIELD_NUMBER
ENUM_VALUE = d.EnumDescriptorProto.VALUE_FIELD_NUMBER
SERVICE_METHOD = d.ServiceDescriptorProto.METHOD_FIELD_NUMBER
SERVICE_OPTIONS = d.ServiceDescriptorProto.OPTIONS_FIELD_NUMBER
METHOD_OPTIONS = d.MethodDescriptorProto.OPTIONS_FIELD_NUMBER
METHOD_INPUT = d.MethodDescriptorProto.INPUT_TYPE_FIELD_NUMBER
FIELD_NAME = d.FieldDescriptorProto.NAME_FIELD_NUMBER


@dataclass(frozen=True)
class Comments:
    """Leading and trailing comments of one element, stripped of `//`."""

    leading: str = ""
    trailing: str = ""

    @property
    def text(self) -> str:
        """Return the leading comment, else the trailing one, trimmed."""
        return (self.leading or self.trailing).strip()


class SourceIndex:
    """Locations and comments of one `FileDescriptorProto`.

    Args:
        file_proto: the file, loaded with `--include_source_info`.
        display_path: the path to print for this file.
    """

    def __init__(self, file_proto: d.FileDescriptorProto, display_path: str) -> None:
        self.display_path = display_path
        self._by_path: dict[Path, d.SourceCodeInfo.Location] = {}
        for location in file_proto.source_code_info.location:
            # The first location recorded for a path is the element itself.
            self._by_path.setdefault(tuple(location.path), location)

    def location(self, path: Path) -> ProtoLocation:
        """Return the 1-based position of the element at `path`.

        Falls back to the nearest enclosing element that has a location, and
        to line 1, column 1 when the file carries no source info.
        """
        for end in range(len(path), -1, -1):
            found = self._by_path.get(path[:end])
            if found is not None and found.span:
                # descriptor.proto: span is [start line, start col, ...], 0-based.
                return ProtoLocation(self.display_path, found.span[0] + 1, found.span[1] + 1)
        return ProtoLocation(self.display_path, 1, 1)

    def comments(self, path: Path) -> Comments:
        """Return the comments attached to the element at `path`."""
        found = self._by_path.get(path)
        if found is None:
            return Comments()
        return Comments(found.leading_comments.strip(), found.trailing_comments.strip())
