"""`potter-gen check`: 0 when in sync, 1 for each drift kind, 2 for bad input; text, JSON and GitHub output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from potter_gen.check import CHECK_JSON_SCHEMA
from tests.scenarios.workspace import ARCHIVE, CREATE, GET, ROUTES, Workspace

SHELF = '\nmessage Shelf {\n  option (potter.aggregate) = { name: "Shelf" };\n  string id = 1;\n}\n'
SHELF_BASE = "src/shop/domain/aggregates/shelf_base.py"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A freshly generated project."""
    return Workspace.create(tmp_path)


def check_json(ws: Workspace) -> tuple[int, dict[str, object]]:
    """Run `check --format json --diff`; validate the output against the schema."""
    result = ws.cli("check", "--format", "json", "--diff")
    document = json.loads(result.output)
    jsonschema.validate(document, CHECK_JSON_SCHEMA)
    return result.exit_code, document


def test_in_sync_after_init_generate_and_update(ws: Workspace) -> None:
    before = ws.snapshot()
    assert ws.cli("check").exit_code == 0
    assert ws.cli("generate").exit_code == 0
    assert ws.cli("check").exit_code == 0
    assert ws.cli("update").exit_code == 0
    code, document = check_json(ws)
    assert code == 0 and document == {"in_sync": True, "drift": []}
    assert ws.snapshot() == before  # check writes nothing


def _delete_generated(ws: Workspace) -> None:
    (ws.project / ROUTES).unlink()


def _delete_scaffold(ws: Workspace) -> None:
    (ws.project / GET).unlink()


def _change_proto(ws: Workspace) -> None:
    ws.edit_proto("message GetItemRequest { string id = 1; }", "message GetItemRequest { string id = 1; bool deep = 2; }")


def _hand_edit(ws: Workspace) -> None:
    ws.edit(ROUTES, "router = APIRouter()", "router = APIRouter()  # tweak")


def _orphan(ws: Workspace) -> None:
    ws.set_proto(ws.proto() + SHELF)
    assert ws.cli("update").exit_code == 0
    ws.set_proto(ws.proto().replace(SHELF, ""))


def _scaffold_outdated(ws: Workspace) -> None:
    ws.edit_proto("rpc ArchiveItem(ArchiveItemRequest)", "rpc ArchiveItem(GetItemRequest)")


def _conflict(ws: Workspace) -> None:
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id)", "return CreateItemResponse(item_id='x')")
    ws.edit_proto("message CreateItemResponse { string item_id = 1; }", "message CreateItemResponse { string id = 1; }")


DRIFTS: dict[str, tuple[Callable[[Workspace], None], str, str, str]] = {
    # name: (make the drift, file, kind, command that fixes it)
    "missing generated": (_delete_generated, ROUTES, "missing", "generate"),
    "missing scaffold": (_delete_scaffold, GET, "missing", "generate"),
    "stale generated": (_change_proto, "src/shop/application/messages.py", "stale", "generate"),
    "hand-edited generated": (_hand_edit, ROUTES, "hand-edited", "generate"),
    "orphaned generated": (_orphan, SHELF_BASE, "orphaned", "generate"),
    "scaffold the merge would change": (_scaffold_outdated, ARCHIVE, "scaffold-outdated", "update"),
    "merge conflict": (_conflict, CREATE, "conflict", ""),
}


@pytest.mark.parametrize("name", list(DRIFTS))
def test_each_drift_kind_is_reported_then_fixed(ws: Workspace, name: str) -> None:
    make, file, kind, fix = DRIFTS[name]
    make(ws)
    text = ws.cli("check")
    assert text.exit_code == 1
    assert f"{file}:" in text.output and f": {kind} (" in text.output
    code, document = check_json(ws)
    assert code == 1 and document["in_sync"] is False
    assert {(d["file"], d["kind"]) for d in document["drift"]} >= {(file, kind)}  # type: ignore[index, union-attr]
    if not fix:
        return
    assert ws.cli(fix).exit_code == 0
    if fix == "generate" and kind == "stale":
        assert ws.cli("update").exit_code == 0  # the proto change also touches a scaffold
    assert ws.cli("check").exit_code == 0


def test_diff_and_github_formats(ws: Workspace) -> None:
    _hand_edit(ws)
    diff = ws.cli("check", "--diff")
    assert f"--- a/{ROUTES}" in diff.output and "-router = APIRouter()  # tweak" in diff.output
    github = ws.cli("check", "--format", "github")
    assert github.exit_code == 1
    assert github.output.startswith(f"::error file={ROUTES},line=")
    assert "title=potter-gen hand-edited::" in github.output


def test_bad_proto_is_exit_2(ws: Workspace) -> None:
    ws.edit_proto("message Item {", "message Item {{")
    result = ws.cli("check")
    assert result.exit_code == 2
    assert "shop.proto:" in result.output
