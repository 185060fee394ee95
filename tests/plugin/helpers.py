"""Helpers of the protoc plugin tests: run the plugin under protoc or buf, build requests, expected trees.

Paths are absolute (built from `tests.conftest.REPO`), so the tests run from
any current directory.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from google.protobuf.compiler import plugin_pb2

from potter_gen.descriptors import load_protos
from potter_gen.pipeline import generate_tree, init_project
from potter_gen.resources import options_proto_dir
from potter_gen.targets import FileKind, Layer
from tests.conftest import EXAMPLE_PROTO, REPO, SHARED_PROTOS, read_tree

#: The console script of this venv, as protoc and buf run it.
PLUGIN = Path(sys.executable).parent / "protoc-gen-potter"
#: The buf CLI `make tools` installs from the npm package @bufbuild/buf.
BUF = REPO / ".tools" / "node_modules" / ".bin" / "buf"
DATA = Path(__file__).resolve().parent / "protos"
CART = DATA / "shop" / "cart.proto"
MONEY = DATA / "shop" / "money.proto"
EDITION_2023 = DATA / "edition2023.proto"
INVALID = REPO / "tests" / "cli" / "invalid" / "unknown_transport.proto"

#: The protos every plugin/CLI comparison runs on.
PROTOS = {
    "library": EXAMPLE_PROTO,
    "simple": SHARED_PROTOS / "potter-simple-service.proto",
    "product": SHARED_PROTOS / "potter-product-service.proto",
}


def require_tool(path: Path, how: str) -> Path:
    """Return `path`; a missing tool fails the test with how to install it (never a skip)."""
    if path.exists():
        return path
    pytest.fail(f"{path} is missing; {how}")


def run_protoc(
    protos: Sequence[Path], include_dirs: Sequence[Path], out: Path, opt: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m grpc_tools.protoc --plugin=protoc-gen-potter=… --potter_out=out` and return the process.

    `potter/options.proto` comes from `-I <options dir>`, as a user's protoc
    command line has it (README "protoc and buf").
    """
    plugin = require_tool(PLUGIN, "run `make install` (or `pip install -e .`) to install the console script")
    argv = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"--plugin=protoc-gen-potter={plugin}",
        *(f"-I{include}" for include in include_dirs),
        f"-I{options_proto_dir()}",
        f"--potter_out={out}",
        *([f"--potter_opt={opt}"] if opt else []),
        *(str(p) for p in protos),
    ]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False)


def request_for(
    protos: Sequence[Path], include_dirs: Sequence[Path] = (), parameter: str = "", generate: Sequence[str] | None = None
) -> plugin_pb2.CodeGeneratorRequest:
    """Build in process the `CodeGeneratorRequest` protoc would send for `protos`.

    Args:
        protos: the files to compile.
        include_dirs: `-I` directories (default: each proto's directory).
        parameter: the request's parameter string.
        generate: proto names for `file_to_generate` (default: every file of `protos`).
    """
    loaded, _ = load_protos(protos, include_dirs)
    return plugin_pb2.CodeGeneratorRequest(
        file_to_generate=list(generate if generate is not None else loaded.files_to_generate),
        parameter=parameter,
        proto_file=list(loaded.file_set.file),
    )


def response_tree(response: plugin_pb2.CodeGeneratorResponse) -> dict[str, bytes]:
    """Return the response's files as a tree: path → bytes (as protoc writes them)."""
    return {f.name: f.content.encode() for f in response.file}


def expected_tree(protos: Sequence[Path], include_dirs: Sequence[Path] = (), kinds: Sequence[FileKind] = tuple(FileKind)) -> dict[str, bytes]:
    """Return `potter_gen.pipeline.generate_tree` output as a tree, keeping only files of `kinds`."""
    tree = generate_tree(protos, include_dirs).tree
    return {path: output.text.encode() for path, output in tree.items() if output.kind in kinds}


def init_tree(protos: Sequence[Path], output: Path, include_dirs: Sequence[Path] = (), layer: Layer = Layer.SERVICE) -> dict[str, bytes]:
    """Run `potter-gen init`'s (or, with `Layer.SDK`, `potter-gen sdk`'s) pipeline into `output`; return what it wrote, without `.potter/`."""
    init_project(protos, output, include_dirs, layer=layer)
    return {path: data for path, data in read_tree(output).items() if not path.startswith(".potter/")}
