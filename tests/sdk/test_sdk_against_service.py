"""Each golden SDK drives its golden service over real HTTP (uvicorn on loopback).

The consumer tests in `consumers/` are written as a user of the SDK would
write them; they run in a subprocess whose PYTHONPATH holds the service's
and the SDK's `src/`, so every case imports its own fresh packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CONSUMERS = Path(__file__).resolve().parent / "consumers"
CASES = {"library": "library", "constructs": "kitchen"}  # golden case → service package


@pytest.mark.parametrize("case", CASES)
def test_sdk_drives_the_running_service(case: str, tmp_path: Path) -> None:
    for directory in ("tree", "sdk"):
        shutil.copytree(REPO / "golden" / case / directory, tmp_path / directory)
    shutil.copy(CONSUMERS / "conftest.py", tmp_path / "conftest.py")
    consumer = shutil.copy(CONSUMERS / f"{CASES[case]}_consumer.py", tmp_path / f"{CASES[case]}_consumer.py")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "tree" / "src"), str(tmp_path / "sdk" / "src")]),
        "SERVICE_PACKAGE": CASES[case],
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:golden", "--rootdir", str(tmp_path), str(consumer)]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout and "skipped" not in result.stdout
