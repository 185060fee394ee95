"""Property test: random sequences of proto changes and user edits on a generated project.

Invariants after every sequence: no user edit is silently lost (each
survives, or `update` reported a conflict); every Python file parses and is
black-clean; `update` twice = `update` once (no byte changes, `.potter/`
included); and when no conflict was reported, the project's own tests pass.
"""

from __future__ import annotations

import os
import subprocess
import sys

import black
import libcst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenarios.workspace import AGGREGATE, ARCHIVE, CREATE, GET, Workspace

TESTS = "tests/test_rest.py"
UNARY_ARCHIVE = """  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
"""


class Story:
    """One example: a workspace, the user's markers that must survive, and whether a conflict was reported."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.markers: dict[str, str] = {}  # marker text → file it was written to
        self.conflicted = False
        self.counter = 0

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def update(self) -> None:
        result = self.ws.cli("update")
        assert result.exit_code in (0, 1), result.output
        if result.exit_code == 1:
            assert "conflict:" in result.output, result.output
            self.conflicted = True

    # -- user edits ---------------------------------------------------------

    def user_helper(self) -> None:
        n = self.next_id()
        marker = f"def user_helper_{n}() -> int:"
        self.ws.write(CREATE, self.ws.read(CREATE) + f"\n\n{marker}\n    return {n}\n")
        self.markers[marker] = CREATE

    def user_import(self) -> None:
        marker = "import json  # user import"
        if marker in self.markers:
            return
        self.ws.write(GET, self.ws.read(GET).replace("from __future__ import annotations\n", f"from __future__ import annotations\n\n{marker}\n", 1))
        self.markers[marker] = GET

    def user_body(self) -> None:
        if not self.ws.exists(ARCHIVE) or 'raise NotImplementedRpcError("ArchiveItem")' not in self.ws.read(ARCHIVE):
            return
        marker = "return ArchiveItemResponse(archived=True)  # user body"
        self.ws.edit(ARCHIVE, 'raise NotImplementedRpcError("ArchiveItem")', marker)
        self.markers[marker] = ARCHIVE
        # Having written the handler, the user drops the generated "answers 501" test.
        tests = self.ws.read(TESTS)
        start = tests.index("def test_archive_item_is_not_implemented_yet")
        end = tests.index("\n\n\ndef ", start) + 3
        self.ws.write(TESTS, tests[:start] + tests[end:])

    def user_method(self) -> None:
        n = self.next_id()
        marker = f"def user_method_{n}(self) -> bool:"
        self.ws.write(AGGREGATE, self.ws.read(AGGREGATE) + f"\n    {marker}\n        return self.state.quantity > {n}\n")
        self.markers[marker] = AGGREGATE

    # -- proto changes --------------------------------------------------------

    def add_rpc(self) -> None:
        n = self.next_id()
        head, tail = self.ws.proto().split("\n}\n", 1)
        rpc = f'  rpc RestockItem{n}(Restock{n}Request) returns (Restock{n}Response) {{\n    option (potter.command) = {{ aggregate: "Item" }};\n  }}\n'
        self.ws.set_proto(f"{head}\n{rpc}}}\n{tail}\nmessage Restock{n}Request {{ string id = 1; int32 amount = 2; }}\nmessage Restock{n}Response {{ int32 quantity = 1; }}\n")
        self.update()

    def add_field(self) -> None:
        n = self.next_id()
        self.ws.edit_proto("message UpdateItemRequest {\n", f"message UpdateItemRequest {{\n  string note_{n} = {10 + n};\n")
        self.update()

    def rename_field(self) -> None:
        if "message ArchiveItemRequest { string id = 1; }" in self.ws.proto():
            self.ws.edit_proto("message ArchiveItemRequest { string id = 1; }", "message ArchiveItemRequest { string item_ref = 1; }")
            self.update()

    def add_event(self) -> None:
        n = self.next_id()
        event = f'\nmessage ItemTouched{n} {{\n  option (potter.event) = {{ aggregate: "Item" }};\n  string item_id = 1;\n  int32 quantity = 2;\n}}\n'
        self.ws.set_proto(self.ws.proto() + event)
        self.update()

    def remove_rpc(self) -> None:
        if UNARY_ARCHIVE in self.ws.proto():
            self.ws.edit_proto(UNARY_ARCHIVE, "")
            self.update()


STEPS = ["user_helper", "user_import", "user_body", "user_method", "add_rpc", "add_field", "rename_field", "add_event", "remove_rpc"]
MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88, magic_trailing_comma=False)


@settings(
    max_examples=int(os.environ.get("POTTER_PROPERTY_EXAMPLES", "6")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(STEPS), min_size=2, max_size=5))
def test_random_stories_keep_every_edit(tmp_path_factory: pytest.TempPathFactory, steps: list[str]) -> None:
    story = Story(Workspace.create(tmp_path_factory.mktemp("story")))
    for step in steps:
        getattr(story, step)()
    story.update()  # user edits made after the last proto change are merged too
    ws = story.ws

    for marker, relative in story.markers.items():
        assert story.conflicted or (ws.exists(relative) and marker in ws.read(relative)), f"lost {marker!r} in {relative} after {steps}"

    for path in sorted((ws.project / "src").rglob("*.py")) + sorted((ws.project / "tests").rglob("*.py")):
        text = path.read_text()
        if "<<<<<<<" in text:
            continue
        libcst.parse_module(text)
        assert black.format_str(text, mode=MODE) == text, f"{path} is not black-clean after {steps}"

    once = ws.snapshot()
    again = ws.cli("update")
    assert again.exit_code == (1 if story.conflicted else 0), again.output
    assert ws.snapshot() == once, f"update twice differs from once after {steps}"

    if not story.conflicted:
        env = {**os.environ, "PYTHONPATH": str(ws.project / "src")}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:golden"],
            cwd=ws.project, env=env, capture_output=True, text=True,
        )
        assert run.returncode == 0, f"generated tests fail after {steps}:\n{run.stdout}\n{run.stderr}"
