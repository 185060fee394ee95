"""The README's protoc command line and buf setup, run as written.

`examples/buf/buf.yaml` and `buf.gen.yaml` are the files the README shows
(checked here), and the README's shell snippets are run in a temporary
workspace with the protos under `proto/`. buf is the real CLI from the npm
package @bufbuild/buf (`make tools`); with CI=true a missing buf fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from potter_gen.targets import Layer
from tests.conftest import EXAMPLE_PROTO, REPO, read_tree, require_shared, tree_diff
from tests.plugin.helpers import BUF, PROTOS, init_tree, require_tool
from tests.plugin.readme import run_snippet, section_blocks, snippet

EXAMPLES = REPO / "examples" / "buf"
OUT = "library-service"  # the output directories the README's buf.gen.yaml names
SDK_OUT = "library-client"


def test_readme_shows_the_example_buf_files() -> None:
    buf_yaml, buf_gen_yaml = section_blocks("yaml")

    assert buf_yaml == (EXAMPLES / "buf.yaml").read_text()
    assert buf_gen_yaml == (EXAMPLES / "buf.gen.yaml").read_text()


def test_readme_protoc_command_gives_what_init_writes(tmp_path: Path) -> None:
    (tmp_path / "proto").mkdir()
    shutil.copy(EXAMPLE_PROTO, tmp_path / "proto" / "library.proto")

    run = run_snippet(snippet("grpc_tools.protoc"), tmp_path)

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert tree_diff(init_tree([EXAMPLE_PROTO], tmp_path / "cli"), read_tree(tmp_path / OUT)) == ""


@pytest.mark.parametrize("name", PROTOS)
def test_buf_generate_gives_what_init_writes(name: str, tmp_path: Path) -> None:
    require_tool(BUF, "run `make tools` to install the buf CLI")
    proto = PROTOS[name]
    require_shared(proto)
    workspace = tmp_path / "workspace"
    (workspace / "proto").mkdir(parents=True)
    shutil.copy(proto, workspace / "proto" / proto.name)
    for name_ in ("buf.yaml", "buf.gen.yaml"):
        shutil.copy(EXAMPLES / name_, workspace / name_)

    run = run_snippet(snippet("buf generate"), workspace)

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert tree_diff(init_tree([proto], tmp_path / "cli"), read_tree(workspace / OUT)) == ""
    assert tree_diff(init_tree([proto], tmp_path / "sdk", layer=Layer.SDK), read_tree(workspace / SDK_OUT)) == ""


def test_buf_rerun_keeps_edited_scaffolds(tmp_path: Path) -> None:
    require_tool(BUF, "run `make tools` to install the buf CLI")
    (tmp_path / "proto").mkdir()
    shutil.copy(EXAMPLE_PROTO, tmp_path / "proto" / "library.proto")
    for name in ("buf.yaml", "buf.gen.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    assert run_snippet(snippet("buf generate"), tmp_path).returncode == 0
    handler = tmp_path / OUT / "src/library/application/commands/borrow_book.py"
    models = tmp_path / OUT / "src/library/domain/models.py"
    edited = handler.read_text() + "\n# my edit\n"
    handler.write_text(edited)
    generated = models.read_text()
    models.write_text("# hand-edited\n")

    run = run_snippet(snippet("buf generate"), tmp_path)

    assert run.returncode == 0, run.stderr
    assert handler.read_text() == edited
    assert models.read_text() == generated


def test_buf_reports_validation_errors_with_their_location(tmp_path: Path) -> None:
    require_tool(BUF, "run `make tools` to install the buf CLI")
    (tmp_path / "proto").mkdir()
    shutil.copy(REPO / "tests/cli/invalid/unknown_transport.proto", tmp_path / "proto" / "unknown_transport.proto")
    for name in ("buf.yaml", "buf.gen.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)

    run = run_snippet(snippet("buf generate"), tmp_path)

    assert run.returncode != 0
    # buf's compiler spans an option from its name (column 10), protoc from `option` (column 3).
    assert "unknown_transport.proto:8:10: error: unknown transport 'SOAP' in service ItemService." in run.stderr
    assert "Traceback" not in run.stderr
    assert read_tree(tmp_path / OUT) == {}
