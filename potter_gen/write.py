"""Write rendered files to disk atomically: all of them, or none.

The only module that writes into the user's project. Files are staged in a
temporary directory beside the target (same file system), then moved into
place with `os.replace`; if anything fails, every replaced file is restored
and every created file and directory removed, so the project is left
byte-for-byte as it was. Nothing is written or deleted outside the project:
a path with `..` or one that leads through a symbolic link out of the
project is refused before anything is staged.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path, PurePosixPath

from potter_gen.errors import Diagnostic, OutputError, error
from potter_gen.manifest import is_project_path


def _staging_parent(root: Path) -> Path:
    parent = root.parent
    while not parent.exists():
        parent = parent.parent
    return parent


def _fail(shown: Path, root: Path, staging: Path | None, exc: OSError) -> OutputError:
    """Return the error of a failed write, naming the file as the user knows it.

    Args:
        shown: the project directory as the user gave it.
        root: the same, resolved.
        staging: the staging directory, or None when creating it failed.
        exc: what the file system answered.
    """
    reason = exc.strerror or str(exc)
    where = Path(exc.filename) if exc.filename and staging is not None else shown
    # A staged file or a backup stands for the project file of the same relative path.
    for base in (staging / ".potter-backup", staging, root) if staging is not None else ():
        if where.is_relative_to(base):
            where = shown / where.relative_to(base)
            break
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    hint = "Free some space on that disk, or choose another --output" if full else "Choose a writable --output directory"
    return OutputError([error(f"cannot write {where}: {reason}", hint, file=str(shown))])


def _outside(shown: Path, root: Path, paths: Iterable[str], verb: str) -> list[Diagnostic]:
    """Return an error for each path of `paths` that would land outside `root`.

    A path escapes when it is not a normalised relative path
    (`manifest.is_project_path`: `../x`, `/x`) or when one of its parents in
    the project is a symbolic link that resolves outside `root` (each such
    link is reported once, with how many files would go through it).
    """
    problems: list[Diagnostic] = []
    links: dict[Path, list[str]] = {}
    safe: set[Path] = set()  # directories already seen to be no link out (files share them)
    for relative in paths:
        if not is_project_path(relative):
            problems.append(
                error(
                    f"refusing to {verb} {relative!r}: it is not a path inside the project {shown}",
                    "Restore .potter/manifest.json from version control",
                    file=str(shown),
                )
            )
            continue
        here = root
        for part in PurePosixPath(relative).parts:
            here = here / part
            if here in safe:
                continue
            if here.is_symlink() and not here.resolve().is_relative_to(root):
                links.setdefault(here, []).append(relative)
                break
            safe.add(here)
    for link, through in links.items():
        shown_link = shown / link.relative_to(root)
        count = f"{len(through)} files" if len(through) > 1 else through[0]
        problems.append(
            error(
                f"refusing to {verb} {count} through {shown_link}, a symbolic link to {link.resolve()} outside the project",
                "Replace the link with a real directory or file inside the project, or remove it",
                file=str(shown_link),
            )
        )
    return problems


def write_tree(root: Path, files: Mapping[str, bytes], delete: Collection[str] = ()) -> None:
    """Write `files` and delete `delete` under `root` as one transaction.

    Args:
        root: the project directory; created when missing (with parents).
        files: POSIX path relative to `root` → content.
        delete: POSIX paths relative to `root` to remove (missing ones are ignored).

    Raises:
        OutputError: a file or directory could not be written (permission,
            a path through a regular file, disk full), or a path of `files`
            or `delete` lies outside `root` (`..`, a symbolic link out of
            the project); nothing was changed.
    """
    shown, root = root, root.resolve()  # "." must stage beside the project, not inside it
    outside = _outside(shown, root, files, "write") + _outside(shown, root, delete, "delete")
    if outside:
        raise OutputError(outside)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".potter-staging-", dir=_staging_parent(root)))
    except OSError as exc:
        raise _fail(shown, root, None, exc) from exc
    try:
        for relative, content in files.items():
            staged = staging / relative
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(content)
        if not root.exists() and not delete:
            root.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, root)  # a brand-new project appears at once
            return
        _move_into_place(staging, root, files, delete)
    except OSError as exc:
        raise _fail(shown, root, staging, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, root: Path, files: Mapping[str, bytes], delete: Collection[str]) -> None:
    """Move staged files over `root` and deleted files aside; undo every step if one fails."""
    backup = staging / ".potter-backup"
    moved: list[tuple[Path, Path | None]] = []  # (target, its backup or None)
    removed: list[tuple[Path, Path]] = []  # (target, its backup)
    created_dirs: list[Path] = []
    try:
        for relative in delete:
            target = root / relative
            if target.is_file():
                aside = backup / relative
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, aside)
                removed.append((target, aside))
        for relative in files:
            target = root / relative
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                created_dirs.append(directory)
            saved: Path | None = None
            if target.exists():
                saved = backup / relative
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, saved)
            moved.append((target, saved))
            os.replace(staging / relative, target)
    except BaseException:
        for target, aside in reversed(removed):
            with contextlib.suppress(OSError):
                os.replace(aside, target)
        for target, saved in reversed(moved):
            with contextlib.suppress(OSError):
                if saved is not None:
                    os.replace(saved, target)
                else:
                    target.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    _remove_empty_dirs(root, [target for target, _ in removed])


def _remove_empty_dirs(root: Path, removed: list[Path]) -> None:
    """Remove directories that deleting files left empty (never `root` itself)."""
    for target in removed:
        for directory in target.parents:
            if directory == root or root not in directory.parents:
                break
            try:
                directory.rmdir()
            except OSError:
                break
