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
from collections.abc import Mapping
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


def write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    """Write `files` under `root` as one transaction.

    Args:
        root: the project directory; created when missing (with parents).
        files: POSIX path relative to `root` → content.

    Raises:
        OutputError: a file or directory could not be written (permission,
            a path through a regular file, disk full); nothing was changed.
    """
    try:
        staging = Path(tempfile.mkdtemp(prefix=".potter-staging-", dir=_staging_parent(root)))
    except OSError as exc:
        raise _fail(root, exc) from exc
    try:
        for relative, content in files.items():
            staged = staging / relative
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(content)
        if not root.exists():
            root.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, root)  # a brand-new project appears at once
            return
        _move_into_place(staging, root, files)
    except OSError as exc:
        raise _fail(root, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, root: Path, files: Mapping[str, bytes]) -> None:
    """Move staged files over `root`; undo every move if one fails."""
    backup = staging / ".potter-backup"
    moved: list[tuple[Path, Path | None]] = []  # (target, its backup or None)
    created_dirs: list[Path] = []
    try:
        for relative in files:
            target = root / relative
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                created_dirs.append(directory)
            saved = None
            if target.exists():
                saved = backup / relative
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, saved)
            moved.append((target, saved))
            os.replace(staging / relative, target)
    except BaseException:
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
