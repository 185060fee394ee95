"""`potter-gen resolve FILE...`: mark conflicts resolved by hand, or adopt a kept orphan scaffold.

Like `git add` after a merge conflict: the user says "this file, as it is,
already holds potter-gen's changes". For a SCAFFOLD file `update` would
conflict on, the file's merge base becomes the current rendering, so the
next `update` keeps the file as it is and merges only later proto changes.
For an orphan scaffold (no longer generated, kept because edited), the file
leaves potter-gen's care: `check` stops listing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from potter_gen.errors import UsageError, error
from potter_gen.manifest import BASE_DIR, MANIFEST, FileRecord, require_manifest, sha256
from potter_gen.review import find_markers
from potter_gen.targets import FileKind
from potter_gen.write import write_tree


def _relative(project_dir: Path, path: Path) -> str:
    """Return `path` (as the user typed it) relative to the project, POSIX style.

    Raises:
        UsageError: the file lies outside the project or does not exist.
    """
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not full.is_relative_to(project_dir.resolve()) or not full.is_file():
        raise UsageError([error(f"{path} is not a file of the project {project_dir}", "Name a file inside the project", file=str(path))])
    return full.relative_to(project_dir.resolve()).as_posix()


def resolve_files(project_dir: Path, paths: Sequence[Path]) -> list[str]:
    """Accept each file of `paths` as resolved; return one line per file saying what changed.

    Args:
        project_dir: the project root (holds `.potter/manifest.json`).
        paths: files of the project (absolute, or relative to the working directory).

    Returns:
        `path: <what resolve did>` lines, in the order given.

    Raises:
        UsageError: no manifest; a path outside the project; a file that still
            holds conflict markers; a file with neither a conflict nor an
            orphan to resolve. Nothing is written then.
        ProtoSyntaxError, ValidationError: the protos no longer load (as `update`).
        OutputError: writing failed; the project is as it was.
    """
    from potter_gen.pipeline import run_project

    manifest = require_manifest(project_dir)
    relative = [_relative(project_dir, p) for p in paths]
    texts = {r: (project_dir / r).read_text(encoding="utf-8") for r in relative}
    marked = find_markers(texts)
    if marked:
        raise UsageError(
            [
                error(f"{m.path}:{m.lines[0]}: conflict markers left", "Resolve each marked region and delete its markers first", file=m.path)
                for m in marked
            ]
        )
    orphans = {r for r in relative if r in manifest.orphaned_scaffolds}
    conflicted = [r for r in relative if r not in orphans]
    writes: dict[str, bytes] = {}
    files = dict(manifest.files)
    lines = {r: f"{r}: yours now; potter-gen no longer tracks it" for r in orphans}
    if conflicted:
        plan = run_project(project_dir, merge=True, write=False).plan
        conflicts = {c.path for c in plan.conflicts}
        unknown = [r for r in conflicted if r not in conflicts]
        if unknown:
            raise UsageError(
                [
                    error(f"{r} has no conflict with the protos to resolve", "Run `potter-gen check` to see what needs doing", file=r)
                    for r in unknown
                ]
            )
        for r in conflicted:
            writes[f"{BASE_DIR}/{r}"] = plan.writes[f"{BASE_DIR}/{r}"]
            files[r] = FileRecord(FileKind.SCAFFOLD, sha256(texts[r].encode()))
            lines[r] = f"{r}: resolved; `potter-gen update` now keeps it as it is"
    kept = {p: d for p, d in manifest.orphaned_scaffolds.items() if p not in orphans}
    writes[MANIFEST] = replace(manifest, files=files, orphaned_scaffolds=kept).to_json().encode()
    write_tree(project_dir, writes)
    return [lines[r] for r in dict.fromkeys(relative)]
