"""Real third-party protos, read from the installed packages that ship them as `.proto` sources.

Each is generated with no potter options at all (roles inferred from AIP
names, package derived from the proto package); the project must pass its
own tests, `ruff check` and `mypy`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import google.longrunning
import pytest

from potter_gen.pipeline import init_project

BIN = Path(sys.executable).parent
GOOGLE_ROOT = Path(next(iter(google.longrunning.__path__))).parent.parent  # site-packages: holds google/...

CASES = {
    "google.longrunning": (GOOGLE_ROOT / "google" / "longrunning" / "operations_proto.proto", GOOGLE_ROOT, "longrunning"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_third_party_proto_generates_a_clean_passing_project(case: str, tmp_path: Path) -> None:
    proto, include, package = CASES[case]
    project = tmp_path / "project"
    generated = init_project([proto], project, [include])
    assert generated.project.package == package
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy"), "PYTHONPATH": str(project / "src")}
    for command in (
        [str(BIN / "ruff"), "check", "--no-cache", "src", "tests"],
        [str(BIN / "mypy")],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:golden"],
    ):
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
