"""The pipeline every entry point runs: load → build → render (→ write).

`generate_tree` is pure (no writes into the user's project); `init_project`
adds the one write step of `potter-gen init`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from potter_gen.build import build_project
from potter_gen.descriptors import LoadedProtos, load_protos
from potter_gen.errors import Diagnostic, UsageError, error
from potter_gen.ir import Project
from potter_gen.render import OutputTree, render_project
from potter_gen.write import write_tree


@dataclass(frozen=True)
class Generated:
    """The result of running the pipeline in memory.

    Attributes:
        project: the validated IR.
        tree: every output file, by relative path.
        diagnostics: warnings and notes from protoc and the model builder.
    """

    project: Project
    tree: OutputTree
    diagnostics: tuple[Diagnostic, ...]


def generate_tree(protos: Sequence[Path], include_dirs: Sequence[Path] = (), module: str | None = None) -> Generated:
    """Load, validate and render `protos` in memory.

    Args:
        protos: `.proto` files to generate from.
        include_dirs: `-I` directories (default: each proto's directory).
        module: the Python package name, overriding the protos' `module_name`.

    Raises:
        UsageError: a proto file is missing or outside every include dir.
        ProtoSyntaxError: protoc rejected a file.
        ValidationError: the protos break a potter rule.
    """
    loaded, protoc_diagnostics = load_protos(protos, include_dirs)
    return generate_from_descriptors(loaded, module, protoc_diagnostics)


def generate_from_descriptors(
    loaded: LoadedProtos, module: str | None = None, protoc_diagnostics: Sequence[Diagnostic] = ()
) -> Generated:
    """Validate and render already-loaded descriptors (the protoc plugin's entry).

    Raises:
        ValidationError: the protos break a potter rule.
    """
    project = build_project(loaded, module)
    return Generated(project, render_project(project), (*protoc_diagnostics, *project.diagnostics))


def init_project(
    protos: Sequence[Path], output: Path, include_dirs: Sequence[Path] = (), module: str | None = None, force: bool = False
) -> Generated:
    """Scaffold a new project from `protos` into `output`, atomically.

    Raises:
        UsageError: `output` is a non-empty directory and `force` is False,
            or `output` exists and is not a directory.
        OutputError: `output` cannot be written; nothing was written.
        plus everything `generate_tree` raises; nothing was written.
    """
    blocking = next((p for p in [output, *output.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None and blocking != output:
        raise UsageError([error(f"{output} lies under {blocking}, which is a file", "Choose another --output", file=str(output))])
    if output.exists() and not output.is_dir():
        raise UsageError([error(f"{output} exists and is not a directory", "Choose another --output", file=str(output))])
    if output.is_dir() and any(output.iterdir()) and not force:
        raise UsageError(
            [error(f"{output} is not empty", "Choose an empty --output directory, or pass --force to write over it", file=str(output))]
        )
    generated = generate_tree(protos, include_dirs, module)
    write_tree(output, {path: file.text.encode() for path, file in generated.tree.items()})
    return generated
