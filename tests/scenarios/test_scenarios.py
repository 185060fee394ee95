"""Merge scenarios, copier style: the user edits X, the proto changes Y, `update` → files and exit code.

Each test is one story on a project generated from `workspace.BASE_PROTO`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.workspace import AGGREGATE, ARCHIVE, CREATE, GET, MODELS, ROUTES, Workspace

ARCHIVE_BODY = 'raise NotImplementedRpcError("ArchiveItem")'
USER_BODY = "aggregate = await self.repository.get(request.id)\n        return ArchiveItemResponse(archived=bool(aggregate.id))"
NEW_RPC = """  rpc RestockItem(RestockItemRequest) returns (RestockItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
}
"""
NEW_MESSAGES = "\nmessage RestockItemRequest { string id = 1; int32 amount = 2; }\nmessage RestockItemResponse { int32 quantity = 1; }\n"
RESTOCK = "src/shop/application/commands/restock_item.py"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A freshly generated project."""
    return Workspace.create(tmp_path)


def add_rpc(ws: Workspace) -> None:
    """Proto change: add RestockItem (a custom command on Item)."""
    text = ws.proto()
    head, tail = text.split("\n}\n", 1)  # the service block ends first
    ws.set_proto(head + "\n" + NEW_RPC + tail + NEW_MESSAGES)


def change_archive_request(ws: Workspace) -> None:
    """Proto change: ArchiveItem takes a new request type with an extra field."""
    ws.edit_proto("rpc ArchiveItem(ArchiveItemRequest)", "rpc ArchiveItem(ArchiveRequest)")
    ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveRequest { string id = 1; string reason = 2; }")


def update(ws: Workspace, *args: str, expect: int = 0) -> str:
    """Run `potter-gen update` and return its output; assert the exit code."""
    result = ws.cli("update", *args)
    assert result.exit_code == expect, result.output
    return result.output


# -- no-ops -------------------------------------------------------------------


def test_proto_unchanged_update_is_a_noop(ws: Workspace) -> None:
    before = ws.snapshot()
    assert "Up to date" in update(ws)
    assert ws.snapshot() == before


def test_update_twice_is_update_once(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    add_rpc(ws)
    update(ws)
    once = ws.snapshot()
    assert "Up to date" in update(ws)
    assert ws.snapshot() == once


def test_update_needs_no_arguments_and_accepts_the_project_dir(ws: Workspace) -> None:
    add_rpc(ws)
    result = ws.cli("update", "svc", cwd=ws.root)  # run from outside, naming the project
    assert result.exit_code == 0, result.output
    assert ws.exists(RESTOCK)


def test_update_outside_a_project_is_a_usage_error(tmp_path: Path) -> None:
    result = Workspace(tmp_path).cli("update", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 2
    assert "has no .potter/manifest.json" in result.output


# -- proto changes --------------------------------------------------------------


def test_add_rpc_creates_its_handler_and_route(ws: Workspace) -> None:
    add_rpc(ws)
    output = update(ws)
    assert f"{RESTOCK}: created" in output
    assert "class RestockItemHandler(RestockItemHandlerBase)" in ws.read(RESTOCK)
    assert '"/api/v1/items/restock_item"' in ws.read(ROUTES)


def test_remove_untouched_rpc_deletes_its_handler(ws: Workspace) -> None:
    ws.edit_proto("""  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
""", "")
    output = update(ws)
    assert f"{ARCHIVE}: deleted" in output
    assert not ws.exists(ARCHIVE)
    assert "archive_item" not in ws.read(ROUTES)


def test_remove_rpc_whose_handler_the_user_edited_keeps_it(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    ws.edit_proto("""  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
""", "")
    output = update(ws)
    assert f"{ARCHIVE}: kept" in output
    assert "return ArchiveItemResponse(archived=bool(aggregate.id))" in ws.read(ARCHIVE)
    assert "archive_item" not in ws.read(ROUTES)


def test_rename_field_flows_into_untouched_scaffold(ws: Workspace) -> None:
    for message in ("CreateItemRequest {\n  string name = 1;\n  int32 quantity = 2;", "ItemCreated {\n  option (potter.event) = { event_type: \"item.created\" aggregate: \"Item\" };\n  string item_id = 1;\n  string name = 2;\n  int32 quantity = 3;"):
        ws.edit_proto(message, message.replace("quantity", "count"))
    update(ws)
    assert "count=request.count" in ws.read(CREATE)
    assert "count: Int32 = 0" in ws.read(MODELS)


def test_change_request_type_updates_signature_and_keeps_user_body(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    change_archive_request(ws)
    update(ws)
    handler = ws.read(ARCHIVE)
    assert "async def handle(self, request: ArchiveRequest) -> ArchiveItemResponse:" in handler
    assert "return ArchiveItemResponse(archived=bool(aggregate.id))" in handler
    assert "ArchiveItemRequest" not in handler


def test_add_event_updates_models_and_aggregate_base_not_the_aggregate(ws: Workspace) -> None:
    ws.edit(AGGREGATE, '    """The Item aggregate."""\n', '    """The Item aggregate."""\n\n    def can_restock(self) -> bool:\n        return self.state.quantity < 10\n')
    ws.set_proto(ws.proto() + '\nmessage ItemRestocked {\n  option (potter.event) = { event_type: "item.restocked" aggregate: "Item" };\n  string item_id = 1;\n  int32 quantity = 2;\n}\n')
    update(ws)
    assert "class ItemRestocked(DomainEvent)" in ws.read(MODELS)
    assert "def on_item_restocked(self, event: ItemRestocked)" in ws.read("src/shop/domain/aggregates/item_base.py")
    assert "def can_restock(self) -> bool:" in ws.read(AGGREGATE)


def test_add_aggregate_creates_its_files(ws: Workspace) -> None:
    ws.set_proto(ws.proto() + '\nmessage Shelf {\n  option (potter.aggregate) = { name: "Shelf" };\n  string id = 1;\n}\n')
    output = update(ws)
    assert "src/shop/domain/aggregates/shelf.py: created" in output
    assert ws.exists("src/shop/domain/aggregates/shelf_base.py")


def test_add_transport_warns_and_changes_no_code(ws: Workspace) -> None:
    before = {k: v for k, v in ws.snapshot().items() if not k.startswith(".potter/")}
    ws.edit_proto('transport: ["REST"]', 'transport: ["REST", "NATS"]')
    result = ws.cli("update")
    assert result.exit_code == 0, result.output
    assert "transport 'NATS'" in result.output
    assert {k: v for k, v in ws.snapshot().items() if not k.startswith(".potter/")} == before


# -- user edits survive ----------------------------------------------------------


def test_user_added_method_survives(ws: Workspace) -> None:
    ws.write(ARCHIVE, ws.read(ARCHIVE) + "\n    def describe(self) -> str:\n        return 'archive'\n")
    change_archive_request(ws)
    update(ws)
    assert "def describe(self) -> str:" in ws.read(ARCHIVE)
    assert "request: ArchiveRequest" in ws.read(ARCHIVE)


def test_user_added_import_survives(ws: Workspace) -> None:
    ws.edit(ARCHIVE, "from __future__ import annotations\n", "from __future__ import annotations\n\nimport logging\n")
    ws.edit(ARCHIVE, ARCHIVE_BODY, 'logging.info("archive")\n        ' + ARCHIVE_BODY)
    change_archive_request(ws)
    update(ws)
    assert "import logging" in ws.read(ARCHIVE)
    assert "from shop.application.messages import ArchiveItemResponse, ArchiveRequest" in ws.read(ARCHIVE)


def test_user_added_helper_function_survives(ws: Workspace) -> None:
    ws.edit(ARCHIVE, "class ArchiveItemHandler", "def reason_text(reason: str) -> str:\n    return reason.strip()\n\n\nclass ArchiveItemHandler")
    change_archive_request(ws)
    update(ws)
    assert "def reason_text(reason: str) -> str:" in ws.read(ARCHIVE)


def test_user_added_decorator_survives(ws: Workspace) -> None:
    ws.edit(ARCHIVE, "from __future__ import annotations\n", "from __future__ import annotations\n\nimport functools\n")
    ws.edit(ARCHIVE, "class ArchiveItemHandler(", "@functools.total_ordering\nclass ArchiveItemHandler(")
    change_archive_request(ws)
    update(ws)
    assert "@functools.total_ordering\nclass ArchiveItemHandler(" in ws.read(ARCHIVE)


def test_user_added_comment_survives(ws: Workspace) -> None:
    ws.edit(ARCHIVE, "    async def handle", "    # Archiving is soft: the item stays readable.\n    async def handle")
    change_archive_request(ws)
    update(ws)
    assert "# Archiving is soft: the item stays readable." in ws.read(ARCHIVE)
    assert "request: ArchiveRequest" in ws.read(ARCHIVE)


def test_user_added_class_attribute_and_docstring_survive(ws: Workspace) -> None:
    ws.edit(ARCHIVE, '    """ArchiveItem command."""\n', '    """Archive an item: hide it from listings."""\n\n    audit: bool = True\n')
    change_archive_request(ws)
    update(ws)
    assert '"""Archive an item: hide it from listings."""' in ws.read(ARCHIVE)
    assert "audit: bool = True" in ws.read(ARCHIVE)


def test_user_edited_body_is_kept_when_the_generator_changes_nothing_there(ws: Workspace) -> None:
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id)", "return CreateItemResponse(item_id=aggregate.id.upper())")
    add_rpc(ws)
    update(ws)
    assert "item_id=aggregate.id.upper()" in ws.read(CREATE)


def test_user_docstring_and_generator_signature_in_one_function_both_apply(ws: Workspace) -> None:
    ws.edit(ARCHIVE, "    async def handle(self, request: ArchiveItemRequest) -> ArchiveItemResponse:\n", '    async def handle(self, request: ArchiveItemRequest) -> ArchiveItemResponse:\n        """Archive softly."""\n')
    change_archive_request(ws)
    update(ws)
    handler = ws.read(ARCHIVE)
    assert '"""Archive softly."""' in handler
    assert "request: ArchiveRequest" in handler


def test_user_edited_aggregate_behaviour_survives_a_new_field(ws: Workspace) -> None:
    ws.edit(AGGREGATE, '    """The Item aggregate."""\n', '    """The Item aggregate."""\n\n    def is_empty(self) -> bool:\n        return self.state.quantity == 0\n')
    ws.edit_proto("  int32 quantity = 3;\n}\n\nmessage ItemCreated", "  int32 quantity = 3;\n  string color = 4;\n}\n\nmessage ItemCreated")
    update(ws)
    assert "def is_empty(self) -> bool:" in ws.read(AGGREGATE)
    assert "color: str" in ws.read(MODELS)


# -- conflicts ---------------------------------------------------------------------


def _conflicting_edit(ws: Workspace) -> None:
    # The user edits CreateItem's body; the proto renames a field the default body uses.
    ws.edit(CREATE, "return CreateItemResponse(item_id=aggregate.id)", "return CreateItemResponse(item_id=aggregate.id + '!')")
    ws.edit_proto("message CreateItemResponse { string item_id = 1; }", "message CreateItemResponse { string id = 1; }")


def test_conflict_writes_nothing_and_lists_file_and_line(ws: Workspace) -> None:
    _conflicting_edit(ws)
    before = ws.snapshot()
    result = ws.cli("update")
    assert result.exit_code == 1
    assert f"{CREATE}:" in result.output and "conflict: CreateItemHandler.handle" in result.output
    assert "Nothing was written" in result.output
    assert ws.snapshot() == before


def test_conflict_markers_mode_writes_markers_then_resolution_sticks(ws: Workspace) -> None:
    _conflicting_edit(ws)
    result = ws.cli("update", "--conflicts", "markers")
    assert result.exit_code == 1
    text = ws.read(CREATE)
    assert "<<<<<<< yours" in text and "=======" in text and ">>>>>>> potter-gen" in text
    # The user resolves the marked region by hand, keeping both ideas.
    start, end = text.index("<<<<<<< yours"), text.index(">>>>>>> potter-gen") + len(">>>>>>> potter-gen\n")
    ws.write(CREATE, text[:start] + "        return CreateItemResponse(id=aggregate.id + '!')\n" + text[end:])
    assert "Up to date" in update(ws)
    assert "return CreateItemResponse(id=aggregate.id + '!')" in ws.read(CREATE)
    assert ws.cli("check").exit_code == 0


# -- deleted and hand-edited files -------------------------------------------------------


def test_user_deleted_scaffold_is_recreated_and_reported(ws: Workspace) -> None:
    (ws.project / GET).unlink()
    output = update(ws)
    assert f"{GET}: recreated: you had deleted it" in output
    assert "class GetItemHandler" in ws.read(GET)


def test_hand_edited_generated_file_is_flagged_by_check_and_restored_by_generate(ws: Workspace) -> None:
    ws.edit(ROUTES, "router = APIRouter(responses=PROBLEM_RESPONSES)", "router = APIRouter(prefix='/x')")
    check = ws.cli("check")
    assert check.exit_code == 1
    assert f"{ROUTES}:" in check.output and "hand-edited" in check.output
    output = ws.cli("generate").output
    assert f"{ROUTES}: restored" in output
    assert "prefix='/x'" not in ws.read(ROUTES)
    assert ws.cli("check").exit_code == 0


def test_generate_does_not_merge_scaffolds(ws: Workspace) -> None:
    ws.edit(ARCHIVE, ARCHIVE_BODY, USER_BODY)
    change_archive_request(ws)
    result = ws.cli("generate")
    assert result.exit_code == 0, result.output
    assert "request: ArchiveItemRequest" in ws.read(ARCHIVE)  # untouched until `update`
    assert ws.cli("check").exit_code == 1
    update(ws)
    assert "request: ArchiveRequest" in ws.read(ARCHIVE)
    assert ws.cli("check").exit_code == 0


def test_generate_removes_orphaned_generated_files(ws: Workspace) -> None:
    ws.set_proto(ws.proto() + '\nmessage Shelf {\n  option (potter.aggregate) = { name: "Shelf" };\n  string id = 1;\n}\n')
    update(ws)
    ws.set_proto(ws.proto().split("\nmessage Shelf")[0] + "\n")
    output = ws.cli("generate").output
    assert "src/shop/domain/aggregates/shelf_base.py: deleted" in output
    assert not ws.exists("src/shop/domain/aggregates/shelf_base.py")


def test_dry_run_prints_the_diff_and_writes_nothing(ws: Workspace) -> None:
    change_archive_request(ws)
    before = ws.snapshot()
    output = update(ws, "--dry-run")
    assert f"--- a/{ARCHIVE}" in output and "+    async def handle(self, request: ArchiveRequest)" in output
    assert ws.snapshot() == before


def test_bad_proto_during_update_exits_2_and_writes_nothing(ws: Workspace) -> None:
    ws.edit_proto("message Item {", "message Item {{")
    before = ws.snapshot()
    result = ws.cli("update")
    assert result.exit_code == 2
    assert "shop.proto:" in result.output
    assert ws.snapshot() == before


# -- migrations -----------------------------------------------------------------

READ_MODEL_RPC = """
  rpc GetItemCard(GetItemCardRequest) returns (ItemCard) {
    option (potter.query) = { read_model: "item_card" };
  }
"""
READ_MODEL_MESSAGES = "\nmessage GetItemCardRequest { string item_id = 1; }\nmessage ItemCard { string item_id = 1; string name = 2; }\n"
CARD_REVISION = "migrations/versions/read_model_item_card.py"


def test_read_model_revisions_are_added_and_never_removed(ws: Workspace) -> None:
    """A new read model gets a revision from update; dropping it from the proto keeps the revision (a database may have applied it)."""
    core = ws.read("migrations/versions/potter_0001_event_store.py")
    text = ws.proto()
    head, tail = text.split("\n}\n", 1)
    ws.set_proto(head + "\n" + READ_MODEL_RPC + "}\n" + tail + READ_MODEL_MESSAGES)
    update(ws)
    assert ws.exists(CARD_REVISION) and 'down_revision = "potter_0001"' in ws.read(CARD_REVISION)
    assert ws.exists("src/shop/application/projections/item_card.py")
    revision = ws.read(CARD_REVISION)

    ws.set_proto(text)
    update(ws)
    assert ws.read(CARD_REVISION) == revision
    assert ws.read("migrations/versions/potter_0001_event_store.py") == core
    assert "Up to date" in update(ws)
    assert ws.cli("check", str(ws.project)).exit_code == 0
