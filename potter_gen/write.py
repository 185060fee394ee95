"""Write rendered files to disk atomically: all of them, or none.

The only module that writes into the user's project. Files are staged in a
temporary directory beside the target (same file system), then moved into
place with `os.replace`; if anything fails, every replaced file is restored
and every created file and directory removed, so the project is left
byte-for-byte as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from potter_gen.errors import OutputError, error


def _staging_parent(root: Path) -> Path:
    parent = root.parent
    while not parent.exists():
        parent = parent.parent
    return parent


def _fail(root: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    where = exc.filename or root
    return OutputError([error(f"cannot write {where}: {reason}", "Choose a writable --output directory", file=str(root))])


def write_tree(root: Path, files: Mapping[str, bytes], delete: Collection[str] = ()) -> None:
    """Write `files` and delete `delete` under `root` as one transaction.

    Args:
        root: the project directory; created when missing (with parents).
        files: POSIX path relative to `root` → content.
        delete: POSIX paths relative to `root` to remove (missing ones are ignored).

    Raises:
        OutputError: a file or directory could not be written (permission,
            a path through a regular file, disk full); nothing was changed.
    """
    root = root.resolve()  # "." must stage beside the project, not inside it
    try:
        staging = Path(tempfile.mkdtemp(prefix=".potter-staging-", dir=_staging_parent(root)))
    except OSError as exc:
        raise _fail(root, exc) from exc
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
        raise _fail(root, exc) from exc
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
