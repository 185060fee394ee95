"""Writes are atomic as a whole: a failure at any point of `update` leaves the project byte for byte as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import potter_gen.write
from tests.scenarios.workspace import ARCHIVE, Workspace

REAL_REPLACE = os.replace


def _prepare(tmp_path: Path) -> Workspace:
    """A project whose next update merges, rewrites, creates and deletes files."""
    ws = Workspace.create(tmp_path)
    ws.edit(ARCHIVE, 'raise NotImplementedRpcError("ArchiveItem")', "return ArchiveItemResponse(archived=True)")
    ws.edit_proto("rpc ArchiveItem(ArchiveItemRequest)", "rpc ArchiveItem(GetItemRequest)")  # merge + rewrites
    ws.edit_proto("""  rpc UpdateItem(UpdateItemRequest) returns (UpdateItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
""", "")  # deletes a scaffold and its base
    ws.set_proto(ws.proto() + '\nmessage Shelf {\n  option (potter.aggregate) = { name: "Shelf" };\n  string id = 1;\n}\n')  # creates
    return ws


@pytest.mark.parametrize("fail_at", [1, 2, 5, 12, 25])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), RuntimeError("injected")])
def test_failure_mid_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int, error: Exception) -> None:
    ws = _prepare(tmp_path)
    before = ws.snapshot()
    calls = 0

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == fail_at:
            raise error
        REAL_REPLACE(src, dst)

    monkeypatch.setattr(potter_gen.write.os, "replace", flaky_replace)
    result = ws.cli("update")
    monkeypatch.setattr(potter_gen.write.os, "replace", REAL_REPLACE)
    assert calls >= fail_at, "the update made fewer moves than the injection point"
    assert result.exit_code == (2 if isinstance(error, OSError) else 1), result.output
    assert ws.snapshot() == before
    assert not [p for p in ws.root.iterdir() if p.name.startswith(".potter-staging-")]
    # And with the disk healthy again, the same update goes through.
    assert ws.cli("update").exit_code == 0
    assert ws.cli("check").exit_code == 0
