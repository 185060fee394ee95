"""Generation is byte-for-byte deterministic across hash seeds and working directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_PROTO, SHARED_PROTOS, read_tree, require_shared


def _init(output: Path, cwd: Path, seed: str) -> dict[str, bytes]:
    protos = [EXAMPLE_PROTO, SHARED_PROTOS / "potter-product-service.proto"]
    require_shared(*protos)
    command = [sys.executable, "-m", "potter_gen", "init", "--module", "shop", "-o", str(output)]
    for proto in protos:
        command += ["--proto", str(proto), "-I", str(proto.parent)]
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return read_tree(output)


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    """Two runs with different PYTHONHASHSEED and cwd write identical trees."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    first = _init(tmp_path / "one", tmp_path / "a", "1")
    second = _init(tmp_path / "two", tmp_path / "b" / "deeper", "4242")
    assert first.keys() == second.keys()
    assert first == second
    assert len(first) > 40
