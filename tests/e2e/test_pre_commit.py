"""`.pre-commit-hooks.yaml`, run by the real pre-commit on a generated project kept in a git repository.

pre-commit clones this repository at its current commit and installs it into
a hook environment of its own, as it does for any user; the hook then passes
on a project in sync and fails on a hand-edited GENERATED file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from potter_gen.cli import main
from tests.conftest import EXAMPLE_PROTO, REPO

pytestmark = pytest.mark.e2e

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
ROUTES = Path("library-service/src/library/presentation/rest/routes.py")


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True, check=False)


def test_potter_gen_check_hook_passes_in_sync_and_fails_on_drift(tmp_path: Path) -> None:
    assert PRE_COMMIT.exists(), "pre-commit is missing; run `make install` (it is in the dev extra)"
    head = _git("rev-parse", "HEAD", cwd=REPO)
    assert _git("show", f"{head}:.pre-commit-hooks.yaml", cwd=REPO), "commit .pre-commit-hooks.yaml: pre-commit reads the commit"
    repo = tmp_path / "repo"
    (repo / "proto").mkdir(parents=True)
    shutil.copy(EXAMPLE_PROTO, repo / "proto" / "library.proto")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(repo)
        init = CliRunner().invoke(main, ["init", "--proto", "proto/library.proto", "-o", "library-service"])
    assert init.exit_code == 0, init.output
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: potter-gen-check\n        args: [library-service]\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)

    in_sync = _pre_commit(repo, env)
    with (repo / ROUTES).open("a") as routes:
        routes.write("EDITED = True\n")
    drifted = _pre_commit(repo, env)

    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert "potter-gen check" in in_sync.stdout and "Passed" in in_sync.stdout
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert f"{ROUTES.relative_to('library-service')}:" in drifted.stdout
    assert "hand-edited (generated)" in drifted.stdout
