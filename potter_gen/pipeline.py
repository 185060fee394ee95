"""The pipeline every entry point runs: load → build → render (→ write).

`generate_tree` is pure (no writes into the user's project); `init_project`
adds the one write step of `potter-gen init`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from potter_gen.errors import Diagnostic, UsageError, ValidationError, error
from potter_gen.manifest import BASE_DIR, Invocation, Manifest, require_manifest
from potter_gen.plan import Plan, fingerprint, is_in_sync, plan_run
from potter_gen.review import MESSAGE_MODULES, Markers, StaleRead, find_markers, find_stale_reads, message_fields
from potter_gen.sources import proto_search_path, sources_unchanged, stamp_sources
from potter_gen.targets import FileKind, Layer
from potter_gen.write import write_tree

if TYPE_CHECKING:  # imported where used: `check` on an unchanged project needs none of them
    from potter_gen.descriptors import LoadedProtos
    from potter_gen.ir import Project
    from potter_gen.render import OutputTree


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


def generate_tree(
    protos: Sequence[Path],
    include_dirs: Sequence[Path] = (),
    module: str | None = None,
    layer: Layer = Layer.SERVICE,
    strict: bool = False,
) -> Generated:
    """Load, validate and render `protos` in memory.

    Args:
        protos: `.proto` files to generate from.
        include_dirs: `-I` directories (default: each proto's directory).
        module: the Python package name, overriding the protos' `module_name`.
        layer: the service project or the client SDK.
        strict: every inference is an error (`build.build_project`).

    Raises:
        UsageError: a proto file is missing or outside every include dir.
        ProtoSyntaxError: protoc rejected a file.
        ValidationError: the protos break a potter rule.
    """
    from potter_gen.descriptors import load_protos

    loaded, protoc_diagnostics = load_protos(protos, include_dirs)
    return generate_from_descriptors(loaded, module, protoc_diagnostics, layer, strict)


def generate_from_descriptors(
    loaded: LoadedProtos,
    module: str | None = None,
    protoc_diagnostics: Sequence[Diagnostic] = (),
    layer: Layer = Layer.SERVICE,
    strict: bool = False,
) -> Generated:
    """Validate and render already-loaded descriptors (the protoc plugin's entry).

    Raises:
        ValidationError: the protos break a potter rule (or, with `strict`, need an inference).
    """
    from potter_gen.build import build_project
    from potter_gen.render import render_project

    project = build_project(loaded, module, strict)
    if not project.rpcs:
        raise ValidationError([_nothing_to_serve(loaded)])
    return Generated(project, render_project(project, layer), (*protoc_diagnostics, *project.diagnostics))


def _nothing_to_serve(loaded: LoadedProtos) -> Diagnostic:
    """The error for protos that give no RPC to serve (no service, or only client/bidi streaming RPCs)."""
    first, *others = [loaded.display_path(name) for name in loaded.files_to_generate] or [""]
    # The diagnostic names the first file; the message names only the others, so no file is named twice.
    where = f" in {', '.join([first, *others])}" if others else ""
    return error(
        f"no RPC that potter-gen can serve over REST{where}; it needs a service with a unary or server-streaming RPC",
        "Add a service with such an RPC (client and bidi streaming need gRPC, which is not generated yet)",
        file=first,
    )


def init_project(
    protos: Sequence[Path],
    output: Path,
    include_dirs: Sequence[Path] = (),
    module: str | None = None,
    force: bool = False,
    layer: Layer = Layer.SERVICE,
    strict: bool = False,
) -> Generated:
    """Scaffold a new project (or client SDK, by `layer`) from `protos` into `output`, atomically.

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
    from potter_gen.descriptors import load_protos

    loaded, protoc_diagnostics = load_protos(protos, include_dirs)
    generated = generate_from_descriptors(loaded, module, protoc_diagnostics, layer, strict)
    invocation = Invocation.relative_to(output, list(protos), list(include_dirs), module, layer)
    proto_fingerprint = fingerprint(loaded.file_set.SerializeToString(deterministic=True), module)
    stamp = _stamp(loaded, protos, include_dirs)
    # Planned as a run over an empty project: every file is created, with its merge base and the manifest.
    plan = plan_run(None, generated.tree, None, invocation, proto_fingerprint, merge=False, proto_sources=stamp)
    write_tree(output, plan.writes)
    return generated


@dataclass(frozen=True)
class ProjectRun:
    """The outcome of `generate`, `update` or `check` on a project.

    Attributes:
        plan: what the run changes (empty when in sync, or when `update`
            refused to run because of `unresolved`).
        diagnostics: warnings and notes (empty when the fast path was taken).
        written: True when files were written.
        unresolved: files that still hold conflict markers (`update` then
            writes nothing; `check` reports them as conflicts).
        stale_reads: reads of message fields the protos no longer have, in
            the project as the run leaves it (`review.find_stale_reads`).
    """

    plan: Plan
    diagnostics: tuple[Diagnostic, ...]
    written: bool
    unresolved: tuple[Markers, ...] = ()
    stale_reads: tuple[StaleRead, ...] = ()


def run_project(
    project_dir: Path,
    *,
    merge: bool,
    protos: Sequence[Path] = (),
    include_dirs: Sequence[Path] = (),
    module: str | None = None,
    write: bool = True,
    markers: bool = False,
    strict: bool = False,
) -> ProjectRun:
    """Regenerate the project in `project_dir` from the invocation in its manifest.

    Args:
        project_dir: the project root (holds `.potter/manifest.json`).
        merge: True for `update` (merge SCAFFOLD files), False for `generate`.
        protos, include_dirs, module: override the recorded invocation when given.
        write: False for a dry run (`--dry-run`, `check`).
        markers: write git-style conflict markers instead of writing nothing.
        strict: every inference is an error (never changes a valid project's output).

    Returns:
        The plan and whether it was written. With conflicts and no
        `markers`, nothing is written.

    Raises:
        UsageError: no manifest, or a bad override.
        ProtoSyntaxError, ValidationError: as `generate_tree`.
        OutputError: writing failed; the project is as it was.
    """
    manifest = require_manifest(project_dir)
    unresolved = tuple(find_markers(_texts(project_dir, [*_scaffolds(manifest), *manifest.orphaned_scaffolds])))
    if unresolved and merge and write:
        return ProjectRun(Plan(()), (), False, unresolved)  # `update` merges nothing into half-resolved files
    invocation = manifest.invocation
    if protos or include_dirs or module is not None:
        invocation = Invocation.relative_to(
            project_dir,
            list(protos) or invocation.resolve(project_dir)[0],
            list(include_dirs) or invocation.resolve(project_dir)[1],
            module if module is not None else invocation.module,
            invocation.layer,
        )
    proto_paths, include_paths = invocation.resolve(project_dir)
    unchanged_run = not strict and invocation == manifest.invocation
    if (
        unchanged_run
        and sources_unchanged(manifest.proto_sources, proto_search_path(proto_paths, include_paths))
        and is_in_sync(project_dir, manifest, manifest.proto_fingerprint)
    ):
        # The same protos: protoc would give the same descriptors.
        return _reviewed(project_dir, _kinds(manifest), _unchanged(project_dir, manifest), (), False, unresolved)
    from potter_gen.descriptors import load_protos

    loaded, protoc_diagnostics = load_protos(proto_paths, include_paths)
    proto_fingerprint = fingerprint(loaded.file_set.SerializeToString(deterministic=True), invocation.module)
    stamp = _stamp(loaded, proto_paths, include_paths)
    if unchanged_run and stamp == manifest.proto_sources and is_in_sync(project_dir, manifest, proto_fingerprint):
        return _reviewed(project_dir, _kinds(manifest), _unchanged(project_dir, manifest), (), False, unresolved)
    generated = generate_from_descriptors(loaded, invocation.module, protoc_diagnostics, invocation.layer, strict)
    plan = plan_run(project_dir, generated.tree, manifest, invocation, proto_fingerprint, merge, stamp)
    if unresolved:  # `check`: a file with markers is reported as such, not as what merging it would do
        marked = {m.path for m in unresolved}
        plan = replace(plan, changes=tuple(c for c in plan.changes if c.path not in marked))
    written = False
    if write and (markers or not plan.conflicts) and (plan.writes or plan.deletes):
        write_tree(project_dir, plan.markers if markers else plan.writes, plan.deletes)
        written = True
    kinds = {path: output.kind for path, output in generated.tree.items()}
    return _reviewed(project_dir, kinds, plan, generated.diagnostics, written, unresolved)


def _scaffolds(manifest: Manifest) -> list[str]:
    return [path for path, record in manifest.files.items() if record.kind is FileKind.SCAFFOLD]


def _kinds(manifest: Manifest) -> dict[str, FileKind]:
    return {path: record.kind for path, record in manifest.files.items()}


def _texts(project_dir: Path, paths: Iterable[str]) -> dict[str, str]:
    """Return path → text of the files of `paths` on disk (missing and binary files left out)."""
    texts = {}
    for relative in paths:
        try:
            texts[relative] = (project_dir / relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return texts


def _unchanged(project_dir: Path, manifest: Manifest) -> Plan:
    """Return the plan of a run that changes nothing: only the orphans still on disk to report."""
    orphans = {p: d for p, d in manifest.orphaned_scaffolds.items() if (project_dir / p).is_file()}
    return Plan((), orphans=orphans)


def _reviewed(
    project_dir: Path,
    kinds: dict[str, FileKind],
    plan: Plan,
    diagnostics: tuple[Diagnostic, ...],
    written: bool,
    unresolved: tuple[Markers, ...],
) -> ProjectRun:
    """Return the run with the static review of the project as the plan leaves it (`review.find_stale_reads`)."""

    def texts(paths: list[str]) -> dict[str, str]:
        planned = {p: plan.writes[p].decode() for p in paths if p in plan.writes}
        return {**_texts(project_dir, [p for p in paths if p not in planned]), **planned}

    modules = [p for p, kind in kinds.items() if kind is FileKind.GENERATED and p.endswith(MESSAGE_MODULES)]
    scaffolds = [p for p, kind in kinds.items() if kind is FileKind.SCAFFOLD and p.endswith(".py")]
    marked = {m.path for m in unresolved}
    code = texts([p for p in [*scaffolds, *plan.orphans] if p not in marked])
    # A scaffold still equal to its merge base is potter-gen's own rendering, which reads only
    # fields the messages have: only the files the user edited need parsing (a 500-RPC project
    # has 600 handlers, and its message modules take most of a second to parse).
    bases = texts([f"{BASE_DIR}/{p}" for p in code])
    edited = {p: text for p, text in code.items() if p in plan.orphans or bases.get(f"{BASE_DIR}/{p}") != text}
    stale = find_stale_reads(edited, message_fields(texts(modules))) if modules and edited else []
    return ProjectRun(plan, diagnostics, written, unresolved, tuple(stale))


def _stamp(loaded: LoadedProtos, protos: Sequence[Path], include_dirs: Sequence[Path]) -> dict[str, str]:
    """Return the stamp of every file protoc compiled for this run ({} when one cannot be found again)."""
    names = [file_proto.name for file_proto in loaded.file_set.file]
    return stamp_sources(names, proto_search_path(protos, include_dirs)) or {}
