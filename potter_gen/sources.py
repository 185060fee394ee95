"""Where protoc finds `.proto` files, and the stamps that tell a run read the same ones again.

A stamp records, for every file of the FileDescriptorSet a run compiled (the
requested protos and everything they import), the SHA-256 of the file protoc
found for that name, plus the toolchain versions. Same stamp ⇒ same
descriptors ⇒ (generation being deterministic) the same output, so `check`
and a no-op `update` on an unchanged project skip protoc, the model and the
templates altogether. Reads files only; imports no protobuf code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from potter_gen import resources

#: The stamp key that holds the toolchain versions, not a file (no proto name contains a space).
TOOLCHAIN_KEY = "protoc toolchain"


def proto_search_path(proto_files: Sequence[Path], include_dirs: Sequence[Path]) -> list[Path]:
    """Return the directories protoc searches, in its order (the first that holds a name wins).

    Args:
        proto_files: the requested `.proto` files.
        include_dirs: the `-I` directories; when empty, each proto's own directory.

    Returns:
        The user's directories, then `potter/options.proto`'s, the well-known
        types' (grpc_tools) and googleapis-common-protos'.
    """
    user = list(include_dirs) or list(dict.fromkeys(p.parent for p in proto_files))
    return [*user, resources.options_proto_dir(), resources.well_known_types_dir(), resources.googleapis_dir()]


@cache
def _toolchain() -> str:
    # Another protoc or protobuf may compile the same files to other descriptors.
    # Both modules are tiny (importlib.metadata would cost ~30 ms of start-up).
    from google import protobuf
    from grpc_tools import grpc_version

    return f"grpcio-tools {grpc_version.VERSION}, protobuf {protobuf.__version__}"


def stamp_sources(proto_names: Iterable[str], search_path: Sequence[Path]) -> dict[str, str] | None:
    """Return proto name → SHA-256 of the file protoc finds for it, plus the toolchain entry.

    Args:
        proto_names: names as in `FileDescriptorProto.name` (`acme/v1/a.proto`).
        search_path: `proto_search_path(...)`.

    Returns:
        The stamp, or None when a name is found in no directory (it cannot be
        checked cheaply; the caller then runs protoc).
    """
    stamp = {TOOLCHAIN_KEY: _toolchain()}
    for name in proto_names:
        found = next((directory / name for directory in search_path if (directory / name).is_file()), None)
        if found is None:
            return None
        stamp[name] = hashlib.sha256(found.read_bytes()).hexdigest()
    return stamp


def sources_unchanged(recorded: Mapping[str, str], search_path: Sequence[Path]) -> bool:
    """Tell whether every recorded proto still resolves to a file with its recorded content.

    An empty `recorded` (a manifest written before stamps existed) is never unchanged.
    """
    if not recorded:
        return False
    return stamp_sources((name for name in recorded if name != TOOLCHAIN_KEY), search_path) == dict(recorded)
