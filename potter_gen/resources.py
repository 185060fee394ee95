"""Locate the files potter-gen ships: templates, `potter/options.proto` and the potter-runtime source.

In a built wheel they live inside the package (`potter_gen/templates`,
`potter_gen/proto`, `potter_gen/runtime`); in a source checkout they are the
repository's top-level `templates/`, `proto/` and `runtime/` directories. Read-only.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    inside = _PACKAGE_DIR / name
    return inside if inside.is_dir() else _PACKAGE_DIR.parent / name


@cache
def _package_dir(module: str) -> Path:
    """Return where an installed package lives, found without importing it (start-up cost)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{module} is not installed; reinstall potter-gen")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def templates_dir() -> Path:
    """Return the directory holding the Jinja templates."""
    return _shipped("templates")


def options_proto_dir() -> Path:
    """Return the include directory that holds `potter/options.proto`."""
    return _shipped("proto")


def runtime_dir() -> Path:
    """Return the potter-runtime source distribution (a directory with its `pyproject.toml`) pip can install."""
    return _shipped("runtime")


def well_known_types_dir() -> Path:
    """Return grpc_tools' include directory with `google/protobuf/*.proto`."""
    return _package_dir("grpc_tools") / "_proto"


def googleapis_dir() -> Path:
    """Return the include directory of googleapis-common-protos: `google/api/*.proto` (resource, http, …)."""
    return _package_dir("google.api").parent.parent
