"""Issue 12's stories: conflicts that can be resolved, line-level merges, markers, orphans, stale reads, backups.

Each test is one story on a project generated from `workspace.BASE_PROTO`,
driven through the CLI as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from potter_gen.check import CHECK_JSON_SCHEMA
from tests.scenarios.workspace import ARCHIVE, CREATE, ROUTES, Workspace

ARCHIVE_BODY = 'raise NotImplementedRpcError("ArchiveItem")'
USER_BODY = "aggregate = await self.repository.get(request.id)\n        return ArchiveItemResponse(archived=bool(aggregate.id))"
REMOVE_ARCHIVE = (
    """  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
""",
    "",
)
VALIDATION = '        if not request.name.strip():\n            raise ValueError("name is required")\n'
CREATE_BODY_START = "        aggregate = self.repository.new()\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A freshly generated project."""
    return Workspace.create(tmp_path)


def run(ws: Workspace, *args: str, expect: int = 0) -> str:
    """Run `potter-gen ARGS` in the project; assert the exit code; return the output."""
    result = ws.cli(*args)
    assert result.exit_code == expect, result.output
    return result.output


def check_json(ws: Workspace, expect: int) -> dict[str, object]:
    """Run `check --format json`, validate it against the schema, return it."""
    document = json.loads(run(ws, "check", "--format", "json", expect=expect))
    jsonschema.validate(document, CHECK_JSON_SCHEMA)
    return document  # type: ignore[no-any-return]


def kinds(document: dict[str, object]) -> set[tuple[str, str]]:
    """Return the (file, kind) pairs of a check document."""
    return {(d["file"], d["kind"]) for d in document["drift"]}  # type: ignore[attr-defined, index]


def add_sku(ws: Workspace) -> None:
    """Proto change: CreateItem's request and event gain `sku` (the default body passes it on)."""
    ws.edit_proto("message CreateItemRequest {\n  string name = 1;\n  int32 quantity = 2;", "message CreateItemRequest {\n  string name = 1;\n  int32 quantity = 2;\n  string sku = 3;")
    ws.edit_proto("  string item_id = 1;\n  string name = 2;\n  int32 quantity = 3;\n}\n\nmessage ItemUpdated", "  string item_id = 1;\n  string name = 2;\n  int32 quantity = 3;\n  string sku = 4;\n}\n\nmessage ItemUpdated")


def rename_response_field(ws: Workspace) -> None:
    """The user edits CreateItem's return line; the proto renames the response field that line sets."""
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id)", "return CreateItemResponse(item_id=aggregate.id + '!')")
    ws.edit_proto("message CreateItemResponse { string item_id = 1; }", "message CreateItemResponse { string id = 1; }")


# -- 2: a line-level merge inside a body both sides changed ------------------------------------


def test_edits_on_different_lines_of_one_body_merge_without_conflict(ws: Workspace) -> None:
    ws.edit(CREATE, CREATE_BODY_START, VALIDATION + CREATE_BODY_START)
    add_sku(ws)
    run(ws, "update")
    handler = ws.read(CREATE)
    assert VALIDATION in handler  # the user's lines
    assert "sku=request.sku" in handler  # the generator's new line, three lines further down
    assert run(ws, "check") == "potter-gen check: in sync\n"


# -- 1: a conflict resolved by hand is accepted ---------------------------------------------------


def test_a_hand_resolution_is_accepted_by_resolve_and_sticks(ws: Workspace) -> None:
    rename_response_field(ws)
    output = run(ws, "update", expect=1)
    assert "Nothing was written" in output and f"potter-gen resolve {CREATE}" in output
    assert "  base:\n    return CreateItemResponse(item_id=aggregate.id)\n  potter-gen:\n    return CreateItemResponse(id=aggregate.id)" in output
    # The user brings the rename into their own line, differently from potter-gen's rendering.
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id + '!')", "return CreateItemResponse(id=f'{aggregate.id}!')")
    run(ws, "update", expect=1)  # still both changed that line: the merge cannot know
    assert (CREATE, "conflict") in kinds(check_json(ws, expect=1))
    assert f"{CREATE}: resolved" in run(ws, "resolve", CREATE)
    run(ws, "update")  # the other files (messages, tests) are brought up to date
    assert "return CreateItemResponse(id=f'{aggregate.id}!')" in ws.read(CREATE)
    assert run(ws, "check") == "potter-gen check: in sync\n"
    assert "Up to date" in run(ws, "update")


def test_resolve_refuses_a_file_without_a_conflict_and_writes_nothing(ws: Workspace) -> None:
    before = ws.snapshot()
    output = run(ws, "resolve", CREATE, expect=2)
    assert f"{CREATE} has no conflict with the protos to resolve" in output
    assert ws.snapshot() == before


# -- 3: markers at column 0; check and update see them ---------------------------------------------


def test_markers_are_gits_then_check_fails_and_update_refuses_until_they_are_gone(ws: Workspace) -> None:
    rename_response_field(ws)
    run(ws, "update", "--conflicts", "markers", expect=1)
    text = ws.read(CREATE)
    block = (
        "<<<<<<< yours\n"
        "        return CreateItemResponse(item_id=aggregate.id + '!')\n"
        "||||||| base\n"
        "        return CreateItemResponse(item_id=aggregate.id)\n"
        "=======\n"
        "        return CreateItemResponse(id=aggregate.id)\n"
        ">>>>>>> potter-gen\n"
    )
    assert block in text
    document = check_json(ws, expect=1)
    assert document["in_sync"] is False and kinds(document) == {(CREATE, "conflict")}
    [finding] = document["drift"]  # type: ignore[misc]
    assert finding["line"] == text.splitlines().index("<<<<<<< yours") + 1
    github = run(ws, "check", "--format", "github", expect=1)
    assert github.startswith(f"::error file={CREATE},line={finding['line']},title=potter-gen conflict::conflict markers left")
    before = ws.snapshot()
    refused = run(ws, "update", expect=1)
    assert f"{CREATE}:{finding['line']}: conflict markers left" in refused and "Nothing was written" in refused
    assert ws.snapshot() == before
    assert "conflict markers left" in run(ws, "resolve", CREATE, expect=2)
    # Resolve the region: keep the user's idea on potter-gen's field name.
    ws.write(CREATE, text.replace(block, "        return CreateItemResponse(id=aggregate.id + '!')\n"))
    assert "Up to date" in run(ws, "update")
    assert run(ws, "check") == "potter-gen check: in sync\n"


# -- 5: kept orphan scaffolds stay listed, by their edited definitions -------------------------------


def test_a_kept_orphan_scaffold_is_listed_until_deleted(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    ws.edit_proto(*REMOVE_ARCHIVE)
    output = run(ws, "update")
    assert f"{ARCHIVE}: kept: no longer generated, but you edited ArchiveItemHandler.handle, so it stays" in output
    text = run(ws, "check", expect=1)
    assert f"{ARCHIVE}:1: orphaned (scaffold): no longer generated; kept because you edited ArchiveItemHandler.handle" in text
    assert "whole file" not in text
    assert kinds(check_json(ws, expect=1)) == {(ARCHIVE, "orphaned")}
    (ws.project / ARCHIVE).unlink()
    assert run(ws, "check") == "potter-gen check: in sync\n"


def test_a_kept_orphan_scaffold_adopted_with_resolve_is_no_longer_listed(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    ws.edit_proto(*REMOVE_ARCHIVE)
    run(ws, "update")
    run(ws, "check", expect=1)
    assert f"{ARCHIVE}: yours now" in run(ws, "resolve", ARCHIVE)
    assert ws.exists(ARCHIVE)
    assert run(ws, "check") == "potter-gen check: in sync\n"


# -- 6: reads of fields the protos no longer have ----------------------------------------------------


def test_a_read_of_a_renamed_request_field_is_reported_with_a_suggestion(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveItemRequest { string item_id = 1; }")
    output = run(ws, "update")
    line = ws.read(ARCHIVE).splitlines().index("        aggregate = await self.repository.get(request.id)") + 1
    message = "request.id: ArchiveItemRequest has no field id (field removed or renamed; did you mean item_id?)"
    assert f"{ARCHIVE}:{line}: warning: {message}" in output
    text = run(ws, "check", expect=1)
    assert f"{ARCHIVE}:{line}: unknown-field (scaffold): {message}" in text
    assert kinds(check_json(ws, expect=1)) == {(ARCHIVE, "unknown-field")}
    ws.edit(ARCHIVE, "request.id)", "request.item_id)")
    assert run(ws, "check") == "potter-gen check: in sync\n"


# -- 7: a restored GENERATED file is backed up, progress lines tell what was written ------------------


def test_a_restored_generated_file_is_backed_up_and_the_backup_named(ws: Workspace) -> None:
    ws.edit(ROUTES, "router = APIRouter(", "router = APIRouter(prefix='/x', ")
    edited = ws.read(ROUTES)
    output = run(ws, "generate")
    assert f"{ROUTES}: restored (your edit is saved in .potter/backup/{ROUTES}; move it into a scaffold file)" in output
    assert ws.read(f".potter/backup/{ROUTES}") == edited
    assert "prefix='/x'" not in ws.read(ROUTES)
    assert run(ws, "check") == "potter-gen check: in sync\n"


def test_an_update_that_writes_nothing_prints_no_progress_lines(ws: Workspace) -> None:
    rename_response_field(ws)
    output = run(ws, "update", expect=1)
    assert "rewritten" not in output and "merged" not in output
    assert "Nothing was written" in output


# -- 4: a moved RPC carries the user's implementation, or says it cannot ------------------------------

GET_QUERY = "src/shop/application/queries/get_item.py"
GET_COMMAND = "src/shop/application/commands/get_item.py"
QUERY_TO_COMMAND = (
    "  rpc GetItem(GetItemRequest) returns (GetItemResponse) {\n    option (potter.query) = {};",
    '  rpc GetItem(GetItemRequest) returns (GetItemResponse) {\n    option (potter.command) = { aggregate: "Item" };',
)
USER_GET = "        aggregate = await self.repository.get(request.id)\n        if not aggregate.state.name:\n            raise LookupError(request.id)\n"


def test_a_query_that_becomes_a_command_keeps_the_users_implementation(ws: Workspace) -> None:
    ws.edit(GET_QUERY, "        aggregate = await self.states.get(request.id)\n", USER_GET)
    ws.edit_proto(*QUERY_TO_COMMAND)
    assert (GET_COMMAND, "scaffold-outdated") in kinds(check_json(ws, expect=1))
    output = run(ws, "update")
    assert f"{GET_COMMAND}: moved from {GET_QUERY}: your code there was carried over" in output
    assert f"{GET_QUERY}: deleted: its RPC moved to {GET_COMMAND}" in output
    handler = ws.read(GET_COMMAND)
    assert USER_GET in handler and "NotImplementedRpcError" not in handler
    assert '"""GetItem command."""' in handler  # the generator's own change came along
    assert not ws.exists(GET_QUERY)
    assert run(ws, "check") == "potter-gen check: in sync\n"
    assert "Up to date" in run(ws, "update")


def test_a_moved_rpc_whose_code_cannot_be_carried_says_so_until_the_user_acts(ws: Workspace) -> None:
    ws.edit(GET_QUERY, '    """GetItem query."""\n', '    """Items by id, for the shop front."""\n')
    ws.edit_proto(*QUERY_TO_COMMAND)  # the docstring both changed: the carried merge would conflict
    output = run(ws, "update")
    message = f"your implementation of GetItemHandler in {GET_QUERY} is no longer used; the new stub is {GET_COMMAND}"
    assert message in output
    assert ws.exists(GET_QUERY) and "NotImplementedRpcError" in ws.read(GET_COMMAND)
    text = run(ws, "check", expect=1)
    assert f"{GET_QUERY}:1: orphaned (scaffold): {message}" in text
    ws.write(GET_COMMAND, ws.read(GET_QUERY).replace("query.", "command."))  # the user moves the code
    (ws.project / GET_QUERY).unlink()
    assert run(ws, "check") == "potter-gen check: in sync\n"
