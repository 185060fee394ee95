"""Generated Python is black's style to the byte, though ruff formats it.

black 26.10.1 in the fixed mode (line length 88, target py311, magic trailing
comma off) is the reference style; `potter_gen.format` gets those bytes from
`ruff format` (docs/formatting.md). These tests hold the two together: black
leaves every Python file of every golden tree, and of the 100-RPC project of
the shared benchmark corpus, exactly as it is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from potter_gen.pipeline import generate_tree
from tests.black_style import is_black_stable
from tests.conftest import REPO, require_shared

GEN_CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
GOLDEN_TREES = sorted(p for p in (REPO / "golden").glob("*/*") if p.is_dir())


def black_changes(files: dict[str, str]) -> list[str]:
    """Return the paths of `files` that black would reformat."""
    return [path for path, text in sorted(files.items()) if not is_black_stable(text)]


@pytest.mark.parametrize("tree", GOLDEN_TREES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_python_is_black_stable(tree: Path) -> None:
    files = {p.relative_to(tree).as_posix(): p.read_text(encoding="utf-8") for p in tree.rglob("*.py")}
    assert files, f"no Python files under {tree}"
    assert black_changes(files) == []


def test_corpus_project_is_black_stable(tmp_path: Path) -> None:
    """The 100-RPC corpus project (`gen_corpus.py --rpcs 100 --messages 100 --options`)."""
    require_shared(GEN_CORPUS)
    corpus = tmp_path / "corpus"
    command = [sys.executable, str(GEN_CORPUS), "--rpcs", "100", "--messages", "100", "--options", "--out", str(corpus)]
    subprocess.run(command, check=True, capture_output=True)
    protos = sorted(p for p in corpus.rglob("*.proto") if "common" not in p.parts)
    generated = generate_tree(protos, [corpus], module="corpus")
    files = {path: file.text for path, file in generated.tree.items() if path.endswith(".py")}
    assert len(files) > 150
    assert black_changes(files) == []
