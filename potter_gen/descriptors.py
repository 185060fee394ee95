"""Load `.proto` files into a `FileDescriptorSet` with grpc_tools' bundled protoc.

`.proto` text is parsed only by protoc (no system protoc, never by regex):
`load_protos` runs the bundled protoc on files on disk, `load_request` takes
the descriptors protoc (or buf) already parsed for the protoc plugin; both
return the same `LoadedProtos`.
The include path is the user's `-I` directories, then the directory holding
`potter/options.proto`, then grpc_tools' well-known types, then
googleapis-common-protos (`google/api/resource.proto`, `http.proto`, …), so
users never pass `-I` for potter's own options or those. Writes nothing but protoc's temporary output.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from google.api import resource_pb2  # noqa: F401  (registers the (google.api.resource) extension)
from google.protobuf import descriptor_pb2 as d
from google.protobuf.compiler import plugin_pb2

# Extensions are only parsed as such when their module is imported before the
# descriptors are: the potter options and (google.api.resource) must be.
from potter_gen._pb.potter import options_pb2  # noqa: F401
from potter_gen.errors import (
    Diagnostic,
    ProtoLocation,
    ProtoSyntaxError,
    Severity,
    UsageError,
    error,
)
from potter_gen.sources import proto_search_path

# protoc prints "file:line:col: message" (gcc error format), or "file: message".
_PROTOC_LINE = re.compile(r"^(?P<file>[^:\n]+?):(?:(?P<line>\d+):(?P<col>\d+):)?\s*(?P<msg>.*)$")


@dataclass(frozen=True)
class LoadedProtos:
    """Descriptors of the requested protos and everything they import.

    Attributes:
        file_set: every file, imports first (protoc's topological order).
        files_to_generate: proto names (as in `FileDescriptorProto.name`)
            the user asked for; imported files are read for types only.
        display_paths: proto name → path to print in diagnostics.
    """

    file_set: d.FileDescriptorSet
    files_to_generate: tuple[str, ...]
    display_paths: dict[str, str]

    def display_path(self, proto_name: str) -> str:
        """Return the path to print for `proto_name` (itself when unknown)."""
        return self.display_paths.get(proto_name, proto_name)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _proto_name(proto: Path, include_dirs: Sequence[Path]) -> str:
    resolved = proto.resolve()
    for include in include_dirs:
        try:
            return resolved.relative_to(include.resolve()).as_posix()
        except ValueError:
            continue
    raise UsageError(
        [
            error(
                f"{proto} is not inside any --proto-path directory",
                "Pass -I with a directory that contains it",
                file=str(proto),
            )
        ]
    )


def _run_protoc(args: list[str]) -> tuple[int, str]:
    """Run protoc in process and return (exit code, what it printed on stderr)."""
    from grpc_tools import protoc  # its C extension loads only when protoc runs

    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            code = protoc.main(args)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        return code, captured.read().decode("utf-8", "replace")


class _DisplayPaths(dict[str, str]):
    """Proto name → path on disk to print, found lazily in the user's include dirs."""

    def __init__(self, include_dirs: Sequence[Path]) -> None:
        super().__init__()
        self._include_dirs = include_dirs

    def __missing__(self, name: str) -> str:
        for include in self._include_dirs:
            if (include / name).is_file():
                self[name] = _display(include / name)
                return self[name]
        return name


def _parse_protoc_output(text: str, display: dict[str, str]) -> list[Diagnostic]:
    diagnostics = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        severity = Severity.WARNING if "warning:" in raw.lower() else Severity.ERROR
        match = _PROTOC_LINE.match(raw)
        if match is None or " " in match["file"]:
            diagnostics.append(Diagnostic(severity, raw.strip()))
            continue
        message = re.sub(r"^(warning|error):\s*", "", match["msg"], flags=re.I)
        file = display[match["file"]]
        if match["line"]:
            # protoc's gcc-style columns are already 1-based.
            location = ProtoLocation(file, int(match["line"]), int(match["col"]))
            diagnostics.append(Diagnostic(severity, message, "", location))
        else:
            diagnostics.append(Diagnostic(severity, message, "", None, file))
    return diagnostics


def load_protos(
    proto_files: Sequence[Path], include_dirs: Sequence[Path] = ()
) -> tuple[LoadedProtos, list[Diagnostic]]:
    """Compile `proto_files` with the bundled protoc and return their descriptors.

    Args:
        proto_files: `.proto` files to generate from, as paths on disk.
        include_dirs: `-I/--proto-path` directories; when empty, the directory
            of each proto file is used.

    Returns:
        The loaded descriptors and protoc's warnings (e.g. unused imports).

    Raises:
        UsageError: a file or include dir does not exist, or a file lies
            outside every include dir.
        ProtoSyntaxError: protoc reported errors; each diagnostic carries
            protoc's `file:line:col` and message.
    """
    missing = [error(f"no such file: {p}", "Check the --proto path", file=str(p)) for p in proto_files if not p.is_file()]
    missing += [
        error(f"no such directory: {d}", "Check the -I/--proto-path directory", file=str(d)) for d in include_dirs if not d.is_dir()
    ]
    if missing:
        raise UsageError(missing)
    includes = proto_search_path(proto_files, include_dirs)
    user_includes = includes[: len(includes) - 3]  # less the three shipped directories
    names = [_proto_name(p, user_includes) for p in proto_files]

    display = _DisplayPaths(user_includes)
    for proto, name in zip(proto_files, names, strict=True):
        display[name] = _display(proto)

    with tempfile.TemporaryDirectory(prefix="potter-") as tmp:
        out = Path(tmp) / "set.binpb"
        args = [
            "protoc",
            *(f"-I{include}" for include in includes),
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *names,
        ]
        code, printed = _run_protoc(args)
        diagnostics = _parse_protoc_output(printed, display)
        if code != 0 or not out.exists():
            errors = [x for x in diagnostics if x.severity is Severity.ERROR]
            raise ProtoSyntaxError(errors or [error("protoc failed without a message")])
        file_set = d.FileDescriptorSet.FromString(out.read_bytes())
    paths = {f.name: display[f.name] for f in file_set.file}
    return LoadedProtos(file_set, tuple(names), paths), diagnostics


def load_request(request: plugin_pb2.CodeGeneratorRequest) -> LoadedProtos:
    """Return the descriptors of a protoc plugin request as `load_protos` would.

    protobuf plugin.proto: `proto_file` holds every file in `file_to_generate`
    and everything they import, imports first, with source info;
    `source_file_descriptors` holds the files to generate again with their
    source-retention options kept, so those are preferred when present.
    The proto names stand in for display paths: the plugin cannot see where
    protoc or buf found the files on disk.

    Args:
        request: the `CodeGeneratorRequest` read from the plugin's stdin.

    Returns:
        Every file of the request, in `proto_file` order, and the names of
        the files to generate, in `file_to_generate` order.

    Raises:
        UsageError: the request names no file to generate (an empty
            request: protoc and buf always name one).
        ProtoSyntaxError: a file to generate is missing from `proto_file`
            (a malformed request).
    """
    if not request.file_to_generate:
        raise UsageError(
            "the CodeGeneratorRequest names no file to generate; protoc or buf run this plugin with the protos to generate (see protoc-gen-potter --help)"
        )
    by_name = {f.name: f for f in request.proto_file}
    missing = [name for name in request.file_to_generate if name not in by_name]
    if missing:
        raise ProtoSyntaxError(
            [error(f"{name} is in file_to_generate but not in proto_file", "The CodeGeneratorRequest is malformed", file=name) for name in missing]
        )
    with_source_options = {f.name: f for f in request.source_file_descriptors}
    file_set = d.FileDescriptorSet(file=[with_source_options.get(f.name, f) for f in request.proto_file])
    return LoadedProtos(file_set, tuple(request.file_to_generate), {f.name: f.name for f in file_set.file})
