"""`potter-gen sdk`: create the client package, regenerate it, check it, refuse what it must not touch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from potter_gen.cli import main
from potter_gen.pipeline import generate_tree
from potter_gen.targets import Layer
from tests.conftest import EXAMPLE_PROTO, read_tree

SDK_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/library_client/__init__.py",
    "src/library_client/async_client.py",
    "src/library_client/client.py",
    "src/library_client/errors.py",
    "src/library_client/models.py",
    "src/library_client/py.typed",
    "src/library_client/routes.py",
    "tests/test_client.py",
}


def _sdk(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sdk", *args])
    return result.exit_code, result.stdout, result.stderr


def _user_files(root: Path) -> dict[str, bytes]:
    return {p: d for p, d in read_tree(root).items() if not p.startswith(".potter/")}


def test_sdk_writes_the_client_package_and_records_its_invocation(tmp_path: Path) -> None:
    out = tmp_path / "library-client"

    code, stdout, _ = _sdk("--proto", str(EXAMPLE_PROTO), "-o", str(out))

    assert code == 0
    assert f"Wrote 11 files for package 'library_client' to {out}" in stdout
    expected = {p: f.text.encode() for p, f in generate_tree([EXAMPLE_PROTO], layer=Layer.SDK).tree.items()}
    assert _user_files(out) == expected
    assert set(expected) == SDK_FILES
    manifest = json.loads((out / ".potter/manifest.json").read_text())
    assert manifest["invocation"]["layer"] == "sdk"
    assert {r["kind"] for r in manifest["files"].values()} == {"generated"}


def test_sdk_rerun_regenerates_from_the_recorded_protos(tmp_path: Path) -> None:
    proto = tmp_path / "library.proto"
    shutil.copy(EXAMPLE_PROTO, proto)
    out = tmp_path / "client"
    assert _sdk("--proto", str(proto), "-o", str(out))[0] == 0

    assert _sdk("-o", str(out)) == (0, "Up to date: nothing to change.\n", "")

    proto.write_text(proto.read_text().replace("// Get one book by id.", "// Fetch one book by its id."))
    code, stdout, _ = _sdk("-o", str(out))
    assert code == 0
    assert stdout == "src/library_client/async_client.py: rewritten\nsrc/library_client/client.py: rewritten\n"
    assert "Fetch one book by its id." in (out / "src/library_client/client.py").read_text()
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0


def test_check_reports_a_hand_edited_sdk_file_and_sdk_restores_it(tmp_path: Path) -> None:
    out = tmp_path / "client"
    assert _sdk("--proto", str(EXAMPLE_PROTO), "-o", str(out))[0] == 0
    models = out / "src/library_client/models.py"
    original = models.read_text()
    models.write_text(original + "# mine\n")

    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 1
    assert "src/library_client/models.py" in checked.stdout

    assert _sdk("-o", str(out))[0] == 0
    assert models.read_text() == original


def test_generate_inside_an_sdk_keeps_it_an_sdk(tmp_path: Path) -> None:
    proto = tmp_path / "library.proto"
    shutil.copy(EXAMPLE_PROTO, proto)
    out = tmp_path / "client"
    assert _sdk("--proto", str(proto), "-o", str(out))[0] == 0
    proto.write_text(proto.read_text().replace("// List members.", "// List every member."))

    result = CliRunner().invoke(main, ["generate", str(out)])

    assert result.exit_code == 0, result.output
    assert not (out / "src/library").exists()
    assert "List every member." in (out / "src/library_client/client.py").read_text()


def test_new_sdk_without_proto_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = _sdk("-o", str(tmp_path / "nothing"))

    assert code == 2
    assert "holds no SDK yet, so --proto is needed. Pass --proto FILE" in stderr
    assert not (tmp_path / "nothing").exists()


def test_sdk_into_a_service_project_is_refused(tmp_path: Path) -> None:
    service = tmp_path / "service"
    assert CliRunner().invoke(main, ["init", "--proto", str(EXAMPLE_PROTO), "-o", str(service)]).exit_code == 0
    before = read_tree(service)

    code, _, stderr = _sdk("--proto", str(EXAMPLE_PROTO), "-o", str(service))

    assert code == 2
    assert f"{service}: error: {service} holds a service project. Give the SDK a directory of its own." in stderr
    assert read_tree(service) == before


def test_sdk_into_a_non_empty_directory_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "client"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")

    code, _, stderr = _sdk("--proto", str(EXAMPLE_PROTO), "-o", str(out))

    assert code == 2
    assert "is not empty" in stderr
    assert read_tree(out) == {"notes.txt": b"mine\n"}
