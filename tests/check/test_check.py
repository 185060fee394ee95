"""`potter-gen check`: exit 0 in sync, 1 per drift kind (with its file), 2 on a bad proto.

Each drift kind is produced on a freshly generated project, reported in text,
JSON (validated against `CHECK_JSON_SCHEMA`) and GitHub annotations, never
written to disk by `check`, and cleared by `generate` or `update`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from potter_gen.check import CHECK_JSON_SCHEMA, DriftKind
from tests.scenarios.workspace import ARCHIVE, BASE_PROTO, CREATE, GET, MODELS, ROUTES, Workspace

MESSAGES = "src/shop/application/messages.py"
BASES = "src/shop/application/bases.py"
TEST_REST = "tests/test_rest.py"
SHELF_BASE = "src/shop/domain/aggregates/shelf_base.py"
SHELF = "src/shop/domain/aggregates/shelf.py"
SHELF_HANDLER = "src/shop/application/commands/create_shelf.py"

# BASE_PROTO plus a second aggregate with one command: removing both orphans per-aggregate files.
SHELF_RPC = """  rpc CreateShelf(CreateShelfRequest) returns (CreateShelfResponse) {
    option (potter.command) = { aggregate: "Shelf" };
  }
"""
SHELF_MESSAGES = """
message Shelf {
  option (potter.aggregate) = { name: "Shelf" };
  string id = 1;
  string label = 2;
}
message ShelfCreated {
  option (potter.event) = { event_type: "shelf.created" aggregate: "Shelf" };
  string shelf_id = 1;
  string label = 2;
}
message CreateShelfRequest { string label = 1; }
message CreateShelfResponse { string shelf_id = 1; }
"""


def with_shelf(proto: str) -> str:
    head, tail = proto.split("\n}\n", 1)  # the service block ends first
    return head + "\n" + SHELF_RPC + "}\n" + tail + SHELF_MESSAGES


VALIDATOR = jsonschema.Draft202012Validator(CHECK_JSON_SCHEMA)


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(CHECK_JSON_SCHEMA)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path)


def check(ws: Workspace, *args: str, expect: int) -> str:
    """Run `potter-gen check ARGS`; assert its exit code and that it wrote nothing."""
    before = ws.snapshot()
    result = ws.cli("check", *args)
    assert result.exit_code == expect, result.output
    assert ws.snapshot() == before, "check wrote files"
    return result.output


def check_json(ws: Workspace, *args: str, expect: int) -> dict[str, object]:
    document = json.loads(check(ws, "--format", "json", *args, expect=expect))
    VALIDATOR.validate(document)
    return document


def findings(ws: Workspace) -> set[tuple[str, str]]:
    """Return the (file, kind) pairs `check --format json` reports."""
    document = check_json(ws, expect=1)
    assert document["in_sync"] is False
    drift = document["drift"]
    assert isinstance(drift, list)
    return {(d["file"], d["kind"]) for d in drift}


def run(ws: Workspace, *args: str, expect: int = 0) -> str:
    result = ws.cli(*args)
    assert result.exit_code == expect, result.output
    return result.output


# -- in sync ----------------------------------------------------------------------


def test_in_sync_right_after_init(ws: Workspace) -> None:
    assert check(ws, expect=0) == "potter-gen check: in sync\n"
    assert check_json(ws, expect=0) == {"in_sync": True, "drift": []}
    assert check_json(ws, "--diff", expect=0) == {"in_sync": True, "drift": []}
    assert check(ws, "--format", "github", expect=0) == ""


def test_in_sync_after_generate_and_after_update(ws: Workspace) -> None:
    run(ws, "generate")
    check(ws, expect=0)
    ws.edit(ARCHIVE, 'raise NotImplementedRpcError("ArchiveItem")', 'raise NotImplementedRpcError("ArchiveItem, soon")')
    ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveItemRequest { string id = 1; string reason = 2; }")
    run(ws, "update")
    check(ws, expect=0)
    run(ws, "update")
    check(ws, expect=0)


def test_check_runs_from_outside_the_project(ws: Workspace) -> None:
    assert ws.cli("check", "svc", cwd=ws.root).exit_code == 0
    (ws.project / ROUTES).unlink()
    result = ws.cli("check", str(ws.project), cwd=ws.root)
    assert result.exit_code == 1 and f"{ROUTES}:" in result.output


# -- each drift kind -------------------------------------------------------------------


def _delete(relative: str) -> Callable[[Workspace], None]:
    def setup(ws: Workspace) -> None:
        (ws.project / relative).unlink()

    return setup


def _stale(ws: Workspace) -> None:
    ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveItemRequest { string id = 1; string reason = 2; }")


def _hand_edited(ws: Workspace) -> None:
    ws.edit(ROUTES, "router = APIRouter(responses=PROBLEM_RESPONSES)", "router = APIRouter(prefix='/x')")


def _scaffold_outdated(ws: Workspace) -> None:
    ws.edit_proto("rpc ArchiveItem(ArchiveItemRequest)", "rpc ArchiveItem(ArchiveRequest)")
    ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveRequest { string id = 1; string reason = 2; }")


def _conflict(ws: Workspace) -> None:
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id)", "return CreateItemResponse(item_id=aggregate.id + '!')")
    ws.edit_proto("message CreateItemResponse { string item_id = 1; }", "message CreateItemResponse { string id = 1; }")


def _resolve_conflict(ws: Workspace) -> None:
    """The user gives up their edit: the file goes back to what potter-gen last wrote."""
    ws.write(CREATE, ws.read(f".potter/base/{CREATE}"))


@dataclass(frozen=True)
class Drift:
    """One drift story: how to cause it, what check reports, the commands that clear it."""

    id: str
    setup: Callable[[Workspace], None]
    expected: set[tuple[str, DriftKind]]  # must all be reported (others may be too)
    fix: tuple[tuple[str, ...], ...]
    exact: bool = True  # nothing else is reported
    resolve: Callable[[Workspace], None] | None = None


DRIFTS = [
    Drift("missing-generated", _delete(ROUTES), {(ROUTES, DriftKind.MISSING)}, (("generate",),)),
    Drift("missing-generated-model", _delete(MODELS), {(MODELS, DriftKind.MISSING)}, (("generate",),)),
    Drift("missing-scaffold", _delete(GET), {(GET, DriftKind.MISSING)}, (("update",),)),
    Drift("stale-generated", _stale, {(MESSAGES, DriftKind.STALE)}, (("generate",),)),
    Drift("hand-edited-generated", _hand_edited, {(ROUTES, DriftKind.HAND_EDITED)}, (("generate",),)),
    Drift(
        "scaffold-the-merge-would-change",
        _scaffold_outdated,
        {(ARCHIVE, DriftKind.SCAFFOLD_OUTDATED), (MESSAGES, DriftKind.STALE), (BASES, DriftKind.STALE), (ROUTES, DriftKind.STALE)},
        (("update",),),
    ),
    Drift(
        "merge-conflict",
        _conflict,
        {(CREATE, DriftKind.CONFLICT), (MESSAGES, DriftKind.STALE), (TEST_REST, DriftKind.SCAFFOLD_OUTDATED)},
        (("update",),),
        resolve=_resolve_conflict,
    ),
]


@pytest.mark.parametrize("drift", DRIFTS, ids=[d.id for d in DRIFTS])
def test_each_drift_kind_is_reported_and_cleared(ws: Workspace, drift: Drift) -> None:
    drift.setup(ws)
    expected = {(path, kind.value) for path, kind in drift.expected}
    reported = findings(ws)
    assert expected <= reported
    if drift.exact:
        assert reported == expected

    text = check(ws, expect=1)
    for path, kind in drift.expected:
        assert f"{path}:" in text and f": {kind.value} (" in text
    assert f"potter-gen check: {len(reported)} file(s) out of step with the protos" in text

    github = check(ws, "--format", "github", expect=1).splitlines()
    assert len(github) == len(reported)
    for path, kind in drift.expected:
        assert any(line.startswith(f"::error file={path},line=") and f"title=potter-gen {kind.value}::" in line for line in github), github

    if drift.resolve is not None:
        drift.resolve(ws)
    for command in drift.fix:
        run(ws, *command)
    check(ws, expect=0)


def test_conflict_is_reported_with_the_definition_and_its_line(ws: Workspace) -> None:
    _conflict(ws)
    document = check_json(ws, expect=1)
    [entry] = [d for d in document["drift"] if d["kind"] == "conflict"]  # type: ignore[union-attr]
    # The smallest region both sides changed: the return line, not the whole method.
    line = ws.read(CREATE).splitlines().index("        return CreateItemResponse(item_id=aggregate.id + '!')") + 1
    assert entry["file"] == CREATE and entry["line"] == line
    assert f"CreateItemHandler.handle (line {line})" in entry["message"]
    github = check(ws, "--format", "github", expect=1)
    assert f"::error file={CREATE},line={line},title=potter-gen conflict::" in github


def test_orphaned_generated_file_when_an_aggregate_and_its_rpcs_are_removed(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path, with_shelf(BASE_PROTO))
    assert ws.exists(SHELF_BASE) and ws.exists(SHELF) and ws.exists(SHELF_HANDLER)
    check(ws, expect=0)
    ws.set_proto(BASE_PROTO)
    reported = findings(ws)
    assert (SHELF_BASE, "orphaned") in reported
    # The untouched scaffolds of the shelf would be removed by `update`.
    assert (SHELF, "scaffold-outdated") in reported and (SHELF_HANDLER, "scaffold-outdated") in reported
    github = check(ws, "--format", "github", expect=1)
    assert f"::error file={SHELF_BASE},line=1,title=potter-gen orphaned::" in github

    run(ws, "generate")  # removes the orphaned GENERATED files; scaffolds are left to update
    assert not ws.exists(SHELF_BASE)
    assert all(kind != "orphaned" for _, kind in findings(ws))
    run(ws, "update")
    assert not ws.exists(SHELF) and not ws.exists(SHELF_HANDLER)
    check(ws, expect=0)


# -- output formats ---------------------------------------------------------------------------


def test_json_with_diff_validates_and_carries_each_diff(ws: Workspace) -> None:
    _scaffold_outdated(ws)
    document = check_json(ws, "--diff", expect=1)
    drift = document["drift"]
    assert isinstance(drift, list) and drift
    for entry in drift:
        assert entry["diff"].startswith(f"--- a/{entry['file']}\n+++ b/{entry['file']}\n@@ ")
    plain = check_json(ws, expect=1)
    assert all("diff" not in entry for entry in plain["drift"])  # type: ignore[union-attr]


def test_several_kinds_at_once_are_each_reported_once(ws: Workspace) -> None:
    _delete(GET)(ws)
    _hand_edited(ws)
    _stale(ws)
    document = check_json(ws, expect=1)
    drift = document["drift"]
    assert isinstance(drift, list)
    assert [(d["file"], d["kind"]) for d in drift] == sorted([(GET, "missing"), (MESSAGES, "stale"), (ROUTES, "hand-edited")])
    for entry in drift:
        assert entry["line"] >= 1 and not Path(entry["file"]).is_absolute()


def test_text_diff_is_a_unified_diff(ws: Workspace) -> None:
    _scaffold_outdated(ws)
    text = check(ws, "--diff", expect=1)
    assert f"--- a/{ARCHIVE}\n+++ b/{ARCHIVE}\n@@ " in text
    assert "-    async def handle(self, request: ArchiveItemRequest) -> ArchiveItemResponse:" in text
    assert "+    async def handle(self, request: ArchiveRequest) -> ArchiveItemResponse:" in text
    assert "--- a/" not in check(ws, expect=1)


def test_hand_edited_diff_shows_the_restoration(ws: Workspace) -> None:
    _hand_edited(ws)
    text = check(ws, "--diff", expect=1)
    assert f"--- a/{ROUTES}\n+++ b/{ROUTES}\n" in text
    assert "-router = APIRouter(prefix='/x')" in text and "+router = APIRouter(responses=PROBLEM_RESPONSES)" in text


def test_github_annotations_name_files_from_the_working_directory(ws: Workspace) -> None:
    _hand_edited(ws)
    result = ws.cli("check", "svc", "--format", "github", cwd=ws.root)
    assert result.exit_code == 1
    assert result.output.startswith(f"::error file=svc/{ROUTES},line=")


def test_github_annotation_escapes_multiline_diff(ws: Workspace) -> None:
    _hand_edited(ws)
    lines = check(ws, "--format", "github", "--diff", expect=1).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"::error file={ROUTES},line=") and "%0A" in lines[0]


# -- errors --------------------------------------------------------------------------------------


def test_bad_proto_exits_2_and_writes_nothing(ws: Workspace) -> None:
    ws.edit_proto("message Item {", "message Item {{")
    output = check(ws, expect=2)
    assert "shop.proto:" in output


def test_proto_breaking_a_potter_rule_exits_2(ws: Workspace) -> None:
    ws.edit_proto('option (potter.command) = { aggregate: "Item" };', 'option (potter.command) = { aggregate: "Nope" };')
    check(ws, expect=2)


def test_outside_a_project_exits_2(tmp_path: Path) -> None:
    result = Workspace(tmp_path).cli("check", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 2
    assert "has no .potter/manifest.json" in result.output


def test_check_on_an_unchanged_project_after_edits_that_update_kept(ws: Workspace) -> None:
    """A user edit of a SCAFFOLD file is not drift."""
    ws.edit(ARCHIVE, 'raise NotImplementedRpcError("ArchiveItem")', 'raise NotImplementedRpcError("ArchiveItem, soon")')
    check(ws, expect=0)
    check(ws, "--diff", expect=0)
