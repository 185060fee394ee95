"""What `generate`, `update` and `check` would do to a project: a `Plan`.

Compares the new rendering with the files on disk, the manifest and the
merge bases, and runs the three-way merge of SCAFFOLD files in memory.
Pure: reads the project, writes nothing (`write.py` applies a plan).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from potter_gen import __version__
from potter_gen.manifest import (
    BACKUP_DIR,
    BASE_DIR,
    MANIFEST,
    FileRecord,
    Invocation,
    Manifest,
    Orphan,
    read_base,
    sha256,
)
from potter_gen.targets import FileKind

if TYPE_CHECKING:
    from potter_gen.merge import Conflict
    from potter_gen.render import OutputTree


class Action(enum.Enum):
    """What happens to one file."""

    CREATE = "created"  # a file the project did not have
    RECREATE = "recreated"  # a SCAFFOLD file the user deleted
    REWRITE = "rewritten"  # a GENERATED file brought up to date
    RESTORE = "restored"  # a hand-edited GENERATED file put back
    MERGE = "merged"  # a SCAFFOLD file took the generator's changes
    DELETE = "deleted"  # no longer generated
    KEEP = "kept"  # no longer generated, but edited by the user: left in place
    MOVE = "moved"  # the user's file of a moved RPC, merged into its new place
    CONFLICT = "conflict"  # both sides changed the same definition


@dataclass(frozen=True)
class FileChange:
    """One file the run changes or reports.

    Attributes:
        path: POSIX path relative to the project.
        kind: GENERATED or SCAFFOLD.
        action: what happens to it.
        old: the file on disk now (None if missing).
        new: what it becomes (None when deleted or left as is).
        conflicts: the conflicts of a CONFLICT.
        kept: definitions kept because the user edited them (merge notes).
        backup: for a RESTORE, where the hand-edited text is saved
            (`.potter/backup/<path>`).
        moved: for a MOVE, the old path; for the DELETE of that old path, the new one.
    """

    path: str
    kind: FileKind
    action: Action
    old: str | None
    new: str | None
    conflicts: tuple[Conflict, ...] = ()
    kept: tuple[str, ...] = ()
    backup: str | None = None
    moved: str | None = None


@dataclass(frozen=True)
class Plan:
    """Everything one run would write or report.

    Attributes:
        changes: every file that changes or is reported, sorted by path.
        writes: path → bytes to write (project files, manifest, merge bases).
        deletes: paths to delete (project files and stale merge bases).
        markers: the writes with conflict markers in place of conflicts.
        orphans: SCAFFOLD files no longer generated that stay because the
            user edited them → the edited definitions (until deleted or
            adopted with `potter-gen resolve`).
    """

    changes: tuple[FileChange, ...]
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    markers: dict[str, bytes] = field(default_factory=dict)
    orphans: dict[str, Orphan] = field(default_factory=dict)

    @property
    def conflicts(self) -> tuple[FileChange, ...]:
        """Return the files with conflicts."""
        return tuple(c for c in self.changes if c.action is Action.CONFLICT)

    @property
    def is_noop(self) -> bool:
        """Tell whether the run changes nothing in the project's own files."""
        return not self.changes


def _read(project_dir: Path | None, relative: str) -> str | None:
    if project_dir is None:
        return None
    path = project_dir / relative
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except UnicodeDecodeError:
        return path.read_bytes().decode("utf-8", "replace")


REVISIONS_DIR = "migrations/versions/"
"""Where the generated alembic revisions live; they are never deleted once written."""


def fingerprint(file_set_bytes: bytes, module: str | None) -> str:
    """Return the proto fingerprint: SHA-256 of the deterministic FileDescriptorSet and the module override."""
    return sha256(file_set_bytes + b"\0" + (module or "").encode())


def is_in_sync(project_dir: Path, manifest: Manifest, proto_fingerprint: str) -> bool:
    """Tell, without rendering, whether the last run's output is still exactly on disk.

    True when the generator version and proto fingerprint are unchanged and
    every recorded file (and its merge base) is on disk with its recorded
    hash: generation is deterministic, so a new run would change nothing.
    """
    if manifest.generator_version != __version__ or manifest.proto_fingerprint != proto_fingerprint:
        return False
    if manifest.pending_merge:
        return False
    for relative, record in manifest.files.items():
        path = project_dir / relative
        if not path.is_file() or sha256(path.read_bytes()) != record.sha256:
            return False
        if record.kind is FileKind.SCAFFOLD and not (project_dir / BASE_DIR / relative).is_file():
            return False
    return True


def _base(project_dir: Path | None, relative: str) -> str | None:
    return read_base(project_dir, relative) if project_dir is not None else None


def _moves(project_dir: Path | None, tree: OutputTree, old_files: dict[str, FileRecord]) -> dict[str, str]:
    """Return new path → old path for each edited Python scaffold whose RPC moved.

    A move is a retired SCAFFOLD file the user edited and exactly one new
    SCAFFOLD file (not on disk yet) defining a class of the same name
    (`GetItemHandler` going from queries/ to commands/, another module or service).
    """
    fresh = [
        r
        for r, output in tree.items()
        if output.kind is FileKind.SCAFFOLD and r.endswith(".py") and r not in old_files and _read(project_dir, r) is None
    ]
    moves: dict[str, str] = {}
    for old, record in sorted(old_files.items()):
        if old in tree or record.kind is not FileKind.SCAFFOLD or not old.endswith(".py"):
            continue
        disk, base = _read(project_dir, old), _base(project_dir, old)
        if disk is None or base is None or disk == base:
            continue
        from potter_gen.merge.move import defined_classes  # libcst: only for an edited, retired scaffold

        classes = defined_classes(base)
        targets = [r for r in fresh if r not in moves and classes & defined_classes(tree[r].text)]
        if len(targets) == 1:
            moves[targets[0]] = old
    return moves


def _stale_tests(moved_texts: dict[str, str | None]) -> set[str]:
    """Return the generated 501 tests that the carried implementations of moved RPCs make wrong."""
    from potter_gen.merge.move import not_implemented_test

    names = (not_implemented_test(path, text) for path, text in moved_texts.items() if text is not None)
    return {name for name in names if name is not None}


def _move(project_dir: Path | None, relative: str, old: str, new: str) -> str | None:
    """Return the user's file at `old` merged into the new rendering `new` at `relative`, or None on conflict."""
    from potter_gen.merge import MergeStatus
    from potter_gen.merge.move import merge_moved

    disk, base = _read(project_dir, old), _base(project_dir, old)
    assert disk is not None and base is not None  # `_moves` chose only such files
    result = merge_moved(relative, base, disk, new)
    return None if result.status is MergeStatus.CONFLICTED else result.text


def plan_run(
    project_dir: Path | None,
    tree: OutputTree,
    old: Manifest | None,
    invocation: Invocation,
    proto_fingerprint: str,
    merge: bool,
    proto_sources: dict[str, str] | None = None,
) -> Plan:
    """Plan a run of `generate` (merge=False) or `update` (merge=True).

    GENERATED files are rewritten when they differ, missing files created,
    SCAFFOLD files the user deleted recreated, and files the proto no longer
    needs deleted (a SCAFFOLD one only when the user never edited it; a
    migration revision never, as a database may have applied it). With
    `merge`, existing SCAFFOLD files are merged three-way with their base.
    `project_dir` None plans over an empty project (`init`). `proto_sources`
    is the stamp recorded in the manifest (`sources.stamp_sources`).
    """
    old_files = old.files if old else {}
    changes: list[FileChange] = []
    writes: dict[str, bytes] = {}
    markers: dict[str, bytes] = {}
    records: dict[str, FileRecord] = {}
    deletes: list[str] = []
    pending: list[str] = []
    moves = _moves(project_dir, tree, old_files) if merge and old_files else {}
    moved_texts = {new: _move(project_dir, new, old, tree[new].text) for new, old in moves.items()}
    stale_tests = _stale_tests(moved_texts) if moved_texts else set()
    carried: dict[str, str] = {}  # old path → new path, for the moves that merged
    replaced: dict[str, str] = {}  # old path → new stub, for the moves that could not
    for relative, output in tree.items():
        new, disk, record = output.text, _read(project_dir, relative), old_files.get(relative)
        final = new
        moved = moved_texts.get(relative)
        if moved is not None:
            carried[moves[relative]] = relative
            changes.append(FileChange(relative, output.kind, Action.MOVE, None, moved, moved=moves[relative]))
            writes[relative] = moved.encode()
            final = moved
        elif disk is None:
            if relative in moves:
                replaced[moves[relative]] = relative
            action = Action.RECREATE if record is not None and output.kind is FileKind.SCAFFOLD else Action.CREATE
            changes.append(FileChange(relative, output.kind, action, None, new))
            writes[relative] = new.encode()
        elif output.kind is FileKind.GENERATED:
            if disk != new:
                edited = record is not None and sha256(disk.encode()) != record.sha256
                backup = f"{BACKUP_DIR}/{relative}" if edited else None
                action = Action.RESTORE if edited else Action.REWRITE
                changes.append(FileChange(relative, output.kind, action, disk, new, backup=backup))
                writes[relative] = new.encode()
                if backup is not None:
                    writes[backup] = disk.encode()
        elif not merge:
            final = disk
            if _base(project_dir, relative) != new:
                pending.append(relative)
        else:
            from potter_gen.merge import MergeStatus, trivial_merge

            theirs = new
            if stale_tests and relative.startswith("tests/"):
                from potter_gen.merge.move import without_functions

                theirs = without_functions(new, stale_tests)  # the base stays `new`: the test stays "deleted"
            base = _base(project_dir, relative)
            result = trivial_merge(base, disk, theirs)
            if result is None:
                # Imported here: libcst costs ~0.4 s of start-up, needed only where both sides changed a file.
                from potter_gen.merge import merge_file

                result = merge_file(relative, base, disk, theirs)
            final = result.text
            if result.status is MergeStatus.CONFLICTED:
                changes.append(FileChange(relative, output.kind, Action.CONFLICT, disk, result.text, result.conflicts, result.kept))
                markers[relative] = result.text.encode()
            elif result.status is MergeStatus.MERGED:
                changes.append(FileChange(relative, output.kind, Action.MERGE, disk, result.text, (), result.kept))
                writes[relative] = result.text.encode()
            elif result.kept:
                changes.append(FileChange(relative, output.kind, Action.KEEP, disk, None, (), result.kept))
        records[relative] = FileRecord(output.kind, sha256(final.encode()))
        if output.kind is FileKind.SCAFFOLD and (merge or disk is None or _base(project_dir, relative) is None):
            if _base(project_dir, relative) != new:
                writes[f"{BASE_DIR}/{relative}"] = new.encode()

    orphans = {
        path: orphan
        for path, orphan in (old.orphaned_scaffolds if old else {}).items()
        if path not in tree and _read(project_dir, path) is not None
    }
    for relative, record in sorted(old_files.items()):
        if relative in tree:
            continue
        disk = _read(project_dir, relative)
        deletes.append(f"{BASE_DIR}/{relative}")
        if disk is None:
            continue
        if record.kind is FileKind.GENERATED and relative.startswith(REVISIONS_DIR):
            # A database may have applied it: alembic must still find it. Kept, like a user's file.
            records[relative] = record
            deletes.remove(f"{BASE_DIR}/{relative}")
        elif record.kind is FileKind.GENERATED:
            changes.append(FileChange(relative, record.kind, Action.DELETE, disk, None))
            deletes.append(relative)
        elif not merge:
            records[relative] = record  # scaffolds are only retired by `update`
            deletes.remove(f"{BASE_DIR}/{relative}")
        elif disk == _base(project_dir, relative) or relative in carried:
            changes.append(FileChange(relative, record.kind, Action.DELETE, disk, None, moved=carried.get(relative)))
            deletes.append(relative)
        else:
            # Imported here, as above: libcst only when a scaffold is retired.
            from potter_gen.merge.collect import edited_definitions
            from potter_gen.merge.move import defined_classes

            names = edited_definitions(_base(project_dir, relative), disk)
            stub = replaced.get(relative, "")
            definition = min(defined_classes(_base(project_dir, relative)) & defined_classes(tree[stub].text)) if stub else ""
            orphans[relative] = Orphan(names, stub, definition)
            changes.append(FileChange(relative, record.kind, Action.KEEP, disk, None, (), names))

    manifest = Manifest(__version__, proto_fingerprint, invocation, records, tuple(pending), proto_sources or {}, orphans)
    manifest_text = manifest.to_json().encode()
    if _read(project_dir, MANIFEST) != manifest_text.decode():
        writes[MANIFEST] = manifest_text
    markers = {**writes, **markers}
    return Plan(tuple(sorted(changes, key=lambda c: c.path)), writes, tuple(deletes), markers, orphans)
