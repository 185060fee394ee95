"""The plugin as protoc runs it: `python -m grpc_tools.protoc --plugin=protoc-gen-potter=… --potter_out=…`.

Trees are compared byte for byte with what `potter-gen init` writes (its
`.potter/` state aside, which only the CLI keeps).
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

import pytest
from google.protobuf.compiler import plugin_pb2

from potter_gen import __version__
from potter_gen.pipeline import generate_tree, init_project
from potter_gen.resources import options_proto_dir
from potter_gen.targets import FileKind, Layer
from tests.conftest import EXAMPLE_PROTO, read_tree, require_shared, tree_diff
from tests.plugin.helpers import (
    CART,
    DATA,
    EDITION_2023,
    INVALID,
    MONEY,
    PLUGIN,
    PROTOS,
    expected_tree,
    init_tree,
    request_for,
    require_tool,
    run_protoc,
)


def _plugin(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    plugin = require_tool(PLUGIN, "run `make install` to install the console script")
    return subprocess.run([str(plugin), *args], input=stdin, capture_output=True, env={**os.environ, **(env or {})}, check=False)


@pytest.mark.parametrize("name", PROTOS)
def test_protoc_gives_exactly_what_init_writes(name: str, tmp_path: Path) -> None:
    proto = PROTOS[name]
    require_shared(proto)
    out = tmp_path / "plugin"
    out.mkdir()

    run = run_protoc([proto], [proto.parent], out, "scaffolds=all")

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert tree_diff(init_tree([proto], tmp_path / "cli"), read_tree(out)) == ""


@pytest.mark.parametrize("name", PROTOS)
def test_protoc_sdk_layer_gives_exactly_what_sdk_writes(name: str, tmp_path: Path) -> None:
    proto = PROTOS[name]
    require_shared(proto)
    out = tmp_path / "plugin"
    out.mkdir()

    run = run_protoc([proto], [proto.parent], out, "layers=sdk")

    assert run.returncode == 0, run.stderr
    assert tree_diff(init_tree([proto], tmp_path / "cli", layer=Layer.SDK), read_tree(out)) == ""


def test_protoc_both_layers_puts_the_sdk_under_sdk(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    out.mkdir()

    run = run_protoc([EXAMPLE_PROTO], [EXAMPLE_PROTO.parent], out, "layers=both,scaffolds=all")

    assert run.returncode == 0, run.stderr
    written = read_tree(out)
    service = init_tree([EXAMPLE_PROTO], tmp_path / "cli")
    sdk = init_tree([EXAMPLE_PROTO], tmp_path / "sdk", layer=Layer.SDK)
    assert tree_diff({**service, **{f"sdk/{path}": data for path, data in sdk.items()}}, written) == ""


def test_protoc_without_parameters_writes_generated_files_only(tmp_path: Path) -> None:
    run = run_protoc([EXAMPLE_PROTO], [EXAMPLE_PROTO.parent], tmp_path)

    assert run.returncode == 0, run.stderr
    assert tree_diff(expected_tree([EXAMPLE_PROTO], kinds=[FileKind.GENERATED]), read_tree(tmp_path)) == ""


def test_protoc_prints_notes_on_stderr(tmp_path: Path) -> None:
    run = run_protoc([EXAMPLE_PROTO], [EXAMPLE_PROTO.parent], tmp_path)

    assert "library.proto:58:3: note: SearchBooks: no (potter.command) or (potter.query)" in run.stderr


def test_protoc_two_files_with_proto3_optional(tmp_path: Path) -> None:
    run = run_protoc([CART, MONEY], [DATA], tmp_path, "scaffolds=all")

    assert run.returncode == 0, run.stderr
    assert tree_diff(expected_tree([CART, MONEY], [DATA]), read_tree(tmp_path)) == ""
    assert b"note: str | None = None" in (tmp_path / "src/shop/domain/models.py").read_bytes()


def test_protoc_imported_file_is_read_for_types_only(tmp_path: Path) -> None:
    run = run_protoc([CART], [DATA], tmp_path, "scaffolds=all")

    assert run.returncode == 0, run.stderr
    tree = read_tree(tmp_path)
    assert tree_diff(expected_tree([CART], [DATA]), tree) == ""
    assert b"class Money(ValueObject):" in tree["src/shop/domain/models.py"]
    assert not any("price" in path for path in tree)


# -- a project the user edited --------------------------------------------------------


def test_project_dir_keeps_every_user_edit_and_refreshes_generated_files(tmp_path: Path) -> None:
    """init, edit scaffolds, change the proto, run protoc: edits stay, GENERATED files and new scaffolds follow the proto."""
    api = tmp_path / "api"
    api.mkdir()
    proto = api / "library.proto"
    shutil.copy(EXAMPLE_PROTO, proto)
    project = tmp_path / "library-service"
    tree = generate_tree([proto]).tree
    init_project([proto], project)
    scaffolds = sorted(path for path, output in tree.items() if output.kind is FileKind.SCAFFOLD)
    generated = sorted(path for path, output in tree.items() if output.kind is FileKind.GENERATED)
    edits = {}
    for path in scaffolds[1:]:
        edits[path] = (project / path).read_bytes() + b"\n# my edit, which no generator may overwrite\n"
        (project / path).write_bytes(edits[path])
    deleted = scaffolds[0]
    (project / deleted).unlink()
    tampered = generated[0]
    (project / tampered).write_text("# hand-edited GENERATED file\n")
    proto.write_text(
        proto.read_text()
        .replace(
            "  // Register a new member.",
            '  // Take a book out of the catalogue for repair.\n  rpc RepairBook(RepairBookRequest) returns (RepairBookResponse) {\n'
            '    option (potter.command) = { aggregate: "Book" };\n  }\n\n  // Register a new member.',
        )
        + "\nmessage RepairBookRequest {\n  string book_id = 1;\n}\n\nmessage RepairBookResponse {\n  string message = 1;\n}\n"
    )
    new_tree = generate_tree([proto]).tree
    new_scaffolds = sorted(set(new_tree) - set(tree))
    assert any("repair_book" in path for path in new_scaffolds)

    run = run_protoc([Path("api/library.proto")], [Path("api")], Path("library-service"), "project_dir=library-service", cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    for path, edited in edits.items():
        assert (project / path).read_bytes() == edited, f"{path}: the user's edit was overwritten"
    assert (project / deleted).read_text() == new_tree[deleted].text, "a deleted scaffold is missing, so it comes back"
    for path, output in new_tree.items():
        if output.kind is FileKind.GENERATED or path in new_scaffolds:
            assert (project / path).read_text() == output.text, f"{path} is not the new rendering"
    assert b"RepairBook" in (project / "src/library/presentation/rest/routes.py").read_bytes()


def test_project_dir_that_does_not_exist_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()

    run = run_protoc([EXAMPLE_PROTO], [EXAMPLE_PROTO.parent], Path("out"), "project_dir=typo", cwd=tmp_path)

    assert run.returncode != 0
    assert f"error: project_dir=typo is not a directory (seen from {tmp_path})" in run.stderr
    assert read_tree(tmp_path / "out") == {}


# -- errors -------------------------------------------------------------------------------


def test_protoc_reports_validation_errors_with_their_location(tmp_path: Path) -> None:
    run = run_protoc([INVALID], [INVALID.parent], tmp_path, "scaffolds=all")

    assert run.returncode == 1  # protoc's own exit code when a plugin reports an error
    assert "--potter_out: unknown_transport.proto:8:3: error: unknown transport 'SOAP' in service ItemService." in run.stderr
    assert "Traceback" not in run.stderr
    assert read_tree(tmp_path) == {}


def test_protoc_reports_an_unknown_parameter_with_the_valid_ones(tmp_path: Path) -> None:
    run = run_protoc([EXAMPLE_PROTO], [EXAMPLE_PROTO.parent], tmp_path, "modul=x")

    assert run.returncode == 1
    assert (
        "--potter_out: error: unknown parameter 'modul'. "
        "Valid parameters: module=NAME, layers=service|sdk|both, project_dir=DIR, scaffolds=all|missing|none, strict=true|false."
    ) in run.stderr
    assert read_tree(tmp_path) == {}


def test_protoc_refuses_an_editions_file(tmp_path: Path) -> None:
    run = run_protoc([EDITION_2023], [EDITION_2023.parent], tmp_path)

    assert run.returncode == 1
    assert "editions" in run.stderr
    assert "Traceback" not in run.stderr
    assert read_tree(tmp_path) == {}


# -- the executable itself ----------------------------------------------------------------


def test_version() -> None:
    run = _plugin("--version")

    assert (run.returncode, run.stdout.decode()) == (0, f"protoc-gen-potter {__version__}\n")


def test_print_proto_path_names_the_directory_of_potter_options() -> None:
    run = _plugin("--print-proto-path")

    assert run.returncode == 0
    assert Path(run.stdout.decode().strip()) == options_proto_dir()
    assert (options_proto_dir() / "potter" / "options.proto").is_file()


def test_help_prints_usage_and_the_parameters() -> None:
    run = _plugin("--help")

    assert run.returncode == 0
    assert "module=NAME, layers=service|sdk|both, project_dir=DIR, scaffolds=all|missing|none, strict=true|false" in run.stdout.decode()


def test_unknown_argument_is_named_before_the_usage_and_exits_2() -> None:
    run = _plugin("--bogus")

    assert run.returncode == 2
    lines = run.stderr.decode().splitlines()
    assert lines[0] == "protoc-gen-potter: error: unknown argument '--bogus'"
    assert lines[1].startswith("usage: protoc-gen-potter")
    assert run.stdout == b""


def _answered_error(run: subprocess.CompletedProcess[bytes]) -> str:
    """Return the `error` of the response the plugin wrote, checking it wrote no file and exited 0."""
    assert run.returncode == 0, run.stderr.decode()
    response = plugin_pb2.CodeGeneratorResponse.FromString(run.stdout)
    assert not response.file
    assert "Traceback" not in run.stderr.decode()
    assert run.stderr.decode() == f"protoc-gen-potter: {response.error}\n"
    return response.error


def test_empty_request_is_answered_with_an_error() -> None:
    """`protoc-gen-potter < /dev/null`: an empty request names no file; the response says so."""
    with open(os.devnull, "rb") as devnull:
        run = subprocess.run([str(PLUGIN)], stdin=devnull, capture_output=True, check=False)

    assert _answered_error(run) == (
        "error: the CodeGeneratorRequest names no file to generate; protoc or buf run this plugin "
        "with the protos to generate (see protoc-gen-potter --help)."
    )


def test_stdin_that_is_not_a_request_is_answered_with_an_error() -> None:
    assert _answered_error(_plugin(stdin=b"\xff\xff\xff not a protobuf")) == (
        "error: stdin is not a CodeGeneratorRequest (its bytes do not decode); protoc or buf run this plugin "
        "(see protoc-gen-potter --help)."
    )


def test_a_terminal_as_stdin_is_a_usage_error() -> None:
    """Run by hand with nothing piped in, the plugin says what it is instead of waiting for a request."""
    leader, follower = pty.openpty()
    try:
        run = subprocess.run([str(PLUGIN)], stdin=follower, capture_output=True, check=False)
    finally:
        os.close(leader)
        os.close(follower)

    assert run.returncode == 2
    lines = run.stderr.decode().splitlines()
    assert lines[0] == "protoc-gen-potter: error: stdin is a terminal, not a CodeGeneratorRequest from protoc or buf"
    assert lines[1].startswith("usage: protoc-gen-potter")


def test_internal_error_is_one_line_and_exit_1() -> None:
    request = request_for([EXAMPLE_PROTO])
    # A method whose input type no file declares: protoc never sends this, so it fails inside the pipeline.
    request.proto_file[-1].service[0].method[0].input_type = ".nowhere.Missing"

    run = _plugin(stdin=request.SerializeToString())

    assert run.returncode == 1
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("protoc-gen-potter: internal error (")
    assert "please report it" in lines[0]


def test_dump_request_saves_the_raw_request(tmp_path: Path) -> None:
    request = request_for([EXAMPLE_PROTO], parameter="scaffolds=all")
    dump = tmp_path / "request.binpb"

    run = _plugin(stdin=request.SerializeToString(), env={"POTTER_DUMP_REQUEST": str(dump)})

    assert run.returncode == 0
    assert plugin_pb2.CodeGeneratorRequest.FromString(dump.read_bytes()) == request
    response = plugin_pb2.CodeGeneratorResponse.FromString(run.stdout)
    assert not response.HasField("error")
    assert len(response.file) == len(generate_tree([EXAMPLE_PROTO]).tree)
