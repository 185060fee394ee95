"""Golden tests: the whole generated tree of each case under `golden/<case>/`.

`golden/<case>/case.yml` (pytest-golden) names the input protos and holds the
expected diagnostics; `golden/<case>/tree/` is the expected service project
and `golden/<case>/sdk/` the expected client SDK, compared file by file. After an intended change run `make goldens` (that is,
`pytest tests/golden --update-goldens`) and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from potter_gen.pipeline import generate_tree
from potter_gen.targets import Layer
from tests.conftest import REPO, read_tree, require_shared, tree_diff

CASES = sorted(p.parent.name for p in (REPO / "golden").glob("*/case.yml"))
BIN = Path(sys.executable).parent
LAYER_DIRS = {Layer.SERVICE: "tree", Layer.SDK: "sdk"}


def _update(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("update_goldens"))


@pytest.mark.golden_test("../../golden/*/case.yml")
def test_golden_tree(golden, in_repo: Path, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    """The generated tree and diagnostics equal the recorded ones, byte for byte."""
    protos, include = [Path(p) for p in golden["protos"]], [Path(p) for p in golden.get("include") or []]
    require_shared(*(REPO / p for p in protos))
    differences = []
    for layer, directory in LAYER_DIRS.items():
        generated = generate_tree(protos, include, layer=layer)
        assert "\n".join(d.format() for d in generated.diagnostics) == golden.out["diagnostics"]
        actual = {path: file.text.encode() for path, file in generated.tree.items()}
        expected_dir = Path(golden.path).parent / directory
        if _update(request):
            shutil.rmtree(expected_dir, ignore_errors=True)
            for path, content in actual.items():
                (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
                (expected_dir / path).write_bytes(content)
        differences.append(tree_diff(read_tree(expected_dir), actual))
    difference = "\n".join(d for d in differences if d)
    assert not difference, f"{difference}\n\nIf the change is intended: pytest tests/golden --update-goldens"


@pytest.mark.parametrize("directory", LAYER_DIRS.values())
@pytest.mark.parametrize("case", CASES)
def test_golden_tree_is_clean(case: str, directory: str, tmp_path: Path) -> None:
    """Each golden project and SDK passes ruff check, mypy --strict and its own tests."""
    project = tmp_path / case
    shutil.copytree(REPO / "golden" / case / directory, project)
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy-cache")}
    for command in (
        [str(BIN / "ruff"), "check", "--no-cache", "src", "tests"],
        [str(BIN / "mypy")],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:golden"],
    ):
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
