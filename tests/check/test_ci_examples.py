"""The README's GitHub Actions example: its `potter-gen check` step, run as written, annotates drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from potter_gen.cli import main
from tests.conftest import EXAMPLE_PROTO
from tests.plugin.readme import section_blocks

ROUTES = "library-service/src/library/presentation/rest/routes.py"


def _check_step() -> str:
    (workflow,) = [yaml.safe_load(block) for block in section_blocks("yaml", "## Evolving a project") if "jobs:" in block]
    (step,) = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "potter-gen check" in s.get("run", "")]
    return str(step)


def _run_step(step: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(["bash", "-euo", "pipefail", "-c", step], cwd=cwd, env={**os.environ, "PATH": path}, capture_output=True, text=True, check=False)


def test_github_actions_step_passes_in_sync_and_annotates_a_hand_edit(tmp_path: Path) -> None:
    step = _check_step()
    assert "--format github" in step
    init = CliRunner().invoke(main, ["init", "--proto", str(EXAMPLE_PROTO), "-o", str(tmp_path / "library-service")])
    assert init.exit_code == 0, init.output

    in_sync = _run_step(step, tmp_path)
    with (tmp_path / ROUTES).open("a") as routes:
        routes.write("EDITED = True\n")
    drifted = _run_step(step, tmp_path)

    assert (in_sync.returncode, in_sync.stdout) == (0, "")
    assert drifted.returncode == 1
    (annotation,) = drifted.stdout.splitlines()
    assert annotation.startswith(f"::error file={ROUTES},line=")
    assert "title=potter-gen hand-edited::" in annotation
