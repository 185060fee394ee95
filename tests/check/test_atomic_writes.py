"""Writes are atomic as a whole: a failure at any point leaves the project byte-for-byte as it was.

The `update` under test deletes a handler (an RPC is gone), creates another
(an RPC is new), merges a user-edited scaffold, rewrites generated files and
the manifest, and puts back a generated directory the user deleted: 31
`os.replace` calls when nothing fails. Failing the Nth call
(the first, one after some files were moved into place, the last) with an
OSError must exit 2 and leave every byte of the project, `.potter/` included,
as before (its directories included); a RuntimeError or KeyboardInterrupt in the middle of writing, or a
failure while staging, likewise. Afterwards a plain `update` still writes
exactly what an uninterrupted run writes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from potter_gen import write
from tests.scenarios.workspace import BASE_PROTO, CREATE, Workspace

ARCHIVE_RPC = """  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
"""
RESTOCK_RPC = ARCHIVE_RPC.replace("ArchiveItem", "RestockItem")
RESTOCK = "src/shop/application/commands/restock_item.py"
ARCHIVE = "src/shop/application/commands/archive_item.py"
HELPER = "def user_helper() -> int:\n    return 1\n\n\n"
REST_DIR = "src/shop/presentation/rest"


def prepare(ws: Workspace) -> None:
    """The user adds a helper and deletes a generated directory; the proto replaces ArchiveItem by RestockItem and renames a field.

    The update puts the directory back, so a rollback must also remove a directory it created.
    """
    shutil.rmtree(ws.project / REST_DIR)
    ws.edit(CREATE, "class CreateItemHandler", HELPER + "class CreateItemHandler")
    ws.edit_proto(ARCHIVE_RPC, RESTOCK_RPC)
    ws.edit_proto(
        "message ArchiveItemRequest { string id = 1; }\nmessage ArchiveItemResponse { bool archived = 1; }",
        "message RestockItemRequest { string id = 1; int32 amount = 2; }\nmessage RestockItemResponse { int32 quantity = 1; }",
    )
    ws.edit_proto("message CreateItemRequest {\n  string name = 1;\n  int32 quantity = 2;", "message CreateItemRequest {\n  string name = 1;\n  int32 count = 2;")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], int]:
    """The project after an uninterrupted `update`, and how many `os.replace` calls it made."""
    ws = Workspace.create(tmp_path_factory.mktemp("reference"))
    prepare(ws)
    calls = 0
    real = os.replace

    def counting(src: object, dst: object) -> None:
        nonlocal calls
        calls += 1
        real(src, dst)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(write.os, "replace", counting)
        result = ws.cli("update")
    assert result.exit_code == 0, result.output
    assert f"{ARCHIVE}: deleted" in result.output and f"{RESTOCK}: created" in result.output
    assert f"{CREATE}: merged" in result.output
    return ws.snapshot(), calls


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.create(tmp_path)
    prepare(workspace)
    return workspace


def failing_replace(n: int, error: BaseException) -> Callable[[object, object], None]:
    """Return an `os.replace` that raises `error` on its Nth call and works otherwise."""
    real = os.replace
    calls = 0

    def replace(src: object, dst: object) -> None:
        nonlocal calls
        calls += 1
        if calls == n:
            raise error
        real(src, dst)  # type: ignore[arg-type]

    return replace


def assert_untouched_then_recovers(ws: Workspace, before: dict[str, bytes], reference: dict[str, bytes]) -> None:
    assert ws.snapshot() == before, "a failed write changed the project"
    assert sorted(p.name for p in ws.root.iterdir()) == ["api", "svc"], "staging left behind"
    result = ws.cli("update")
    assert result.exit_code == 0, result.output
    assert ws.snapshot() == reference


def test_the_update_under_test_makes_31_replacements_and_creates_a_directory(reference: tuple[dict[str, bytes], int]) -> None:
    assert reference[1] == 31  # keeps the parametrization below meaningful
    assert f"{REST_DIR}/" in reference[0] and f"{REST_DIR}/routes.py" in reference[0]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 12, 13, 19, 30, 31])
def test_os_error_on_the_nth_replace_leaves_the_project_as_it_was(
    ws: Workspace, reference: tuple[dict[str, bytes], int], monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    before = ws.snapshot()
    with monkeypatch.context() as mp:
        mp.setattr(write.os, "replace", failing_replace(n, OSError(28, "No space left on device")))
        result = ws.cli("update")
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output
    assert_untouched_then_recovers(ws, before, reference[0])


@pytest.mark.parametrize("n", [1, 5, 14, 31])
def test_runtime_error_mid_write_leaves_the_project_as_it_was(
    ws: Workspace, reference: tuple[dict[str, bytes], int], monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    before = ws.snapshot()
    with monkeypatch.context() as mp:
        mp.setattr(write.os, "replace", failing_replace(n, RuntimeError("injected")))
        result = ws.cli("update")
    assert result.exit_code == 1, result.output
    assert "internal error (RuntimeError)" in result.output
    assert_untouched_then_recovers(ws, before, reference[0])


def test_keyboard_interrupt_mid_write_leaves_the_project_as_it_was(
    ws: Workspace, reference: tuple[dict[str, bytes], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ws.snapshot()
    with monkeypatch.context() as mp:
        mp.setattr(write.os, "replace", failing_replace(10, KeyboardInterrupt()))
        result = ws.cli("update")
    assert result.exit_code == 1 and "Aborted!" in result.output, result.output  # click's answer to Ctrl-C
    assert_untouched_then_recovers(ws, before, reference[0])


def test_failure_while_staging_leaves_the_project_as_it_was(
    ws: Workspace, reference: tuple[dict[str, bytes], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ws.snapshot()
    real = Path.write_bytes
    calls = 0

    def write_bytes(self: Path, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    with monkeypatch.context() as mp:
        mp.setattr(Path, "write_bytes", write_bytes)
        result = ws.cli("update")
    assert result.exit_code == 2, result.output
    assert_untouched_then_recovers(ws, before, reference[0])


def test_conflict_markers_write_is_atomic_too(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.edit(CREATE, "        aggregate = self.repository.new()\n", "        aggregate = self.repository.new()  # mine\n")
    before = ws.snapshot()
    with monkeypatch.context() as mp:
        mp.setattr(write.os, "replace", failing_replace(9, OSError(5, "Input/output error")))
        result = ws.cli("update", "--conflicts", "markers")
    assert result.exit_code == 2, result.output
    assert ws.snapshot() == before
    result = ws.cli("update", "--conflicts", "markers")
    assert result.exit_code == 1 and "<<<<<<< yours" in ws.read(CREATE), result.output


def test_failed_init_leaves_no_project_and_no_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "shop.proto").write_text(BASE_PROTO)
    with monkeypatch.context() as mp:
        mp.setattr(write.os, "replace", failing_replace(1, OSError(13, "Permission denied")))
        result = Workspace(tmp_path).cli("init", "--proto", str(tmp_path / "api/shop.proto"), "--output", str(tmp_path / "svc"))
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api"]
