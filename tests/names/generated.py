"""Generate a service project and its SDK from protos, and hold both to the
standard of generated code: `ruff check`, `mypy` and their own tests pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from potter_gen.ir import Project
from potter_gen.pipeline import init_project
from potter_gen.targets import Layer

BIN = Path(sys.executable).parent
RUFF = [str(BIN / "ruff"), "check", "--no-cache", "src", "tests"]
MYPY = [str(BIN / "mypy")]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:golden"]


@dataclass(frozen=True)
class GeneratedPair:
    """A service project and its SDK generated from the same protos."""

    project: Project
    service_dir: Path
    sdk_dir: Path

    def service_file(self, relative: str) -> str:
        return (self.service_dir / "src" / self.project.package / relative).read_text()

    def sdk_file(self, relative: str) -> str:
        return (self.sdk_dir / "src" / f"{self.project.package}_client" / relative).read_text()


def generate_pair(protos: list[Path], includes: list[Path], root: Path) -> GeneratedPair:
    """Run `init` for the service and for the SDK into `root/service` and `root/sdk`."""
    service = init_project(protos, root / "service", includes)
    init_project(protos, root / "sdk", includes, layer=Layer.SDK)
    return GeneratedPair(service.project, root / "service", root / "sdk")


def run_checks(project_dir: Path, mypy_cache: Path) -> None:
    """Run ruff, mypy and the project's own tests in `project_dir`; fail with the output of the first that fails."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(mypy_cache), "PYTHONPATH": str(project_dir / "src")}
    for command in (RUFF, MYPY, PYTEST):
        result = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(command)} failed in {project_dir}:\n{result.stdout}\n{result.stderr}"
