"""`check` and `update` on an unchanged project skip protoc; any change to what protoc would read is still seen.

The manifest's `proto_sources` stamp holds the SHA-256 of every file protoc
compiled (imports included) and the toolchain versions (`potter_gen/sources.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from potter_gen import descriptors
from potter_gen.sources import TOOLCHAIN_KEY, proto_search_path, sources_unchanged, stamp_sources
from tests.scenarios.workspace import BASE_PROTO, Workspace

COMMON = """syntax = "proto3";
package notes.v1;
message Note { string text = 1; }
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A project whose proto imports a second file, `api/common.proto`."""
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "common.proto").write_text(COMMON)
    proto = BASE_PROTO.replace('import "potter/options.proto";', 'import "potter/options.proto";\nimport "common.proto";', 1)
    proto = proto.replace("message ArchiveItemRequest { string id = 1; }", "message ArchiveItemRequest {\n  string id = 1;\n  .notes.v1.Note note = 2;\n}")
    return Workspace.create(tmp_path, proto)


def _no_protoc(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("protoc ran on an unchanged project")

    monkeypatch.setattr(descriptors, "load_protos", refuse)


def test_the_manifest_stamps_every_file_protoc_read(ws: Workspace) -> None:
    stamp = json.loads(ws.read(".potter/manifest.json"))["proto_sources"]
    assert {"shop.proto", "common.proto", "potter/options.proto", "google/protobuf/descriptor.proto"} <= stamp.keys()
    assert stamp[TOOLCHAIN_KEY].startswith("grpcio-tools ")


def test_check_and_update_on_an_unchanged_project_do_not_run_protoc(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_protoc(monkeypatch)
    assert ws.cli("check").exit_code == 0
    assert ws.cli("update").exit_code == 0


def test_an_edited_import_is_drift(ws: Workspace) -> None:
    (ws.root / "api" / "common.proto").write_text(COMMON.replace("string text = 1;", "string text = 1;\n  int32 stars = 2;"))
    result = ws.cli("check")
    assert result.exit_code == 1, result.output


def test_a_comment_only_edit_runs_protoc_and_stays_in_sync(ws: Workspace) -> None:
    # The stamp changes but the descriptors do not (a detached comment is in no descriptor): in sync.
    (ws.root / "api" / "common.proto").write_text("// a detached comment\n\n" + COMMON)
    assert ws.cli("check").exit_code == 0
    assert ws.cli("update").exit_code == 0


def test_a_hand_edited_generated_file_is_still_drift(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.edit("src/shop/domain/models.py", '"""', '"""Edited. ')
    _no_protoc(monkeypatch)
    assert ws.cli("check").exit_code == 1


def test_stamps_follow_protoc_search_order(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for directory, text in ((first, "a"), (second, "b")):
        directory.mkdir()
        (directory / "x.proto").write_text(text)
    search = proto_search_path([first / "x.proto"], [first, second])
    stamp = stamp_sources(["x.proto"], search)
    assert stamp is not None and sources_unchanged(stamp, search)
    assert not sources_unchanged(stamp, proto_search_path([second / "x.proto"], [second, first]))
    assert stamp_sources(["missing.proto"], search) is None
    assert not sources_unchanged({}, search)
