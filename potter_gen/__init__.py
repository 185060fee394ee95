"""potter-gen: annotated `.proto` files → an event-sourced CQRS Python service.

The public API is the pipeline (`generate_tree` in memory, `init_project` to
disk) and its error types; the CLI and the protoc plugin are thin shells over it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from potter_gen.errors import Diagnostic, ExitCode, PotterError, ProtoLocation  # noqa: E402
from potter_gen.pipeline import Generated, generate_tree, init_project  # noqa: E402

__all__ = [
    "Diagnostic",
    "ExitCode",
    "Generated",
    "PotterError",
    "ProtoLocation",
    "__version__",
    "generate_tree",
    "init_project",
]
