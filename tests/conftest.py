"""Shared test helpers: repository paths and output-tree comparison."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_PROTOS = REPO.parent / "shared" / "protos"
EXAMPLE_PROTO = REPO / "examples" / "library" / "library.proto"


def read_tree(root: Path) -> dict[str, bytes]:
    """Return every file under `root`: POSIX relative path → bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tree_diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """Return a readable report of how two trees differ ("" when equal)."""
    lines = []
    for path in sorted(expected.keys() - actual.keys()):
        lines.append(f"missing: {path}")
    for path in sorted(actual.keys() - expected.keys()):
        lines.append(f"unexpected: {path}")
    for path in sorted(expected.keys() & actual.keys()):
        if expected[path] != actual[path]:
            lines.extend(
                difflib.unified_diff(
                    expected[path].decode(errors="replace").splitlines(),
                    actual[path].decode(errors="replace").splitlines(),
                    f"expected/{path}",
                    f"actual/{path}",
                    lineterm="",
                )
            )
    return "\n".join(lines)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the repository root as the current directory (stable display paths)."""
    monkeypatch.chdir(REPO)
    return REPO
