"""Generation is byte-for-byte deterministic across hash seeds and working directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from potter_gen.pipeline import generate_tree
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


def test_a_fresh_process_gives_what_the_pipeline_gives_in_process(tmp_path: Path) -> None:
    """A new interpreter reads the potter options too (their extension module loads before any descriptor is parsed)."""
    completed = subprocess.run(
        [sys.executable, "-m", "potter_gen", "init", "--proto", str(EXAMPLE_PROTO), "-o", str(tmp_path / "out")],
        check=True,
        capture_output=True,
        text=True,
    )
    generated = generate_tree([EXAMPLE_PROTO])
    written = {path: data for path, data in read_tree(tmp_path / "out").items() if not path.startswith(".potter/")}
    assert written == {path: file.text.encode() for path, file in generated.tree.items()}
    assert [line for line in completed.stderr.splitlines() if ": note: " in line or ": warning: " in line] == [
        d.format() for d in generated.diagnostics
    ]
