"""Realistic histories replayed through the CLI: the library example over seven proto revisions, and an upgrade
of potter-gen itself.

Each step is what a developer does: edit their files (aggregates, handlers,
tests), change the proto, run `update`. After every update the test asserts
that no edit of theirs was lost without a word: each is still in the project,
or the run named it (a conflict, a kept file, an unknown field). At the end of
each history, when `check` says in sync, the project's own tests, ruff and
mypy must pass (run once per history, not per step, to stay CI-friendly).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from potter_gen import __version__
from potter_gen.manifest import BASE_DIR, MANIFEST, FileRecord, Invocation, Manifest, sha256
from potter_gen.targets import FileKind
from tests.scenarios.workspace import PROTO, Workspace

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LIBRARY_PROTO = (REPO / "examples/library/library.proto").read_text()

COMMANDS = "src/library/application/commands"
QUERIES = "src/library/application/queries"
CREATE = f"{COMMANDS}/create_book.py"
BORROW = f"{COMMANDS}/borrow_book.py"
DELETE = f"{COMMANDS}/delete_book.py"
GET_QUERY, GET_COMMAND = f"{QUERIES}/get_book.py", f"{COMMANDS}/get_book.py"
BOOK = "src/library/domain/aggregates/book.py"
TESTS = "tests/test_rest.py"

VALIDATION = '        if not request.title.strip():\n            raise ValueError("a book needs a title")\n'
AVAILABLE = "\n    def is_available(self) -> bool:\n        return self.state.copies > self.state.on_loan\n"
USER_TEST = '\n\ndef test_openapi_is_served(client: TestClient) -> None:\n    assert client.get("/openapi.json").status_code == 200\n'
BORROW_BODY = (
    "        aggregate = await self.repository.get(request.book_id)\n"
    "        aggregate.record(BookBorrowed(book_id=aggregate.id, member_id=request.member_id))\n"
    "        await self.repository.save(aggregate)\n"
    "        return BorrowBookResponse(on_loan=aggregate.state.on_loan)\n"
)
GET_CHECK = "        if not aggregate.state.title:\n            raise LookupError(request.id)\n"


def run_checks(project: Path, tmp: Path) -> None:
    """Run the project's ruff, mypy and tests; fail with their output."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp / "mypy-cache"), "PYTHONPATH": str(project / "src")}
    for command in (
        [str(BIN / "ruff"), "check", "--no-cache", "src", "tests"],
        [str(BIN / "mypy")],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
    ):
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


@dataclass
class History:
    """A workspace and the user's edits so far: path → snippets that must stay unless reported."""

    ws: Workspace
    edits: dict[str, list[str]] = field(default_factory=dict)

    def edit(self, relative: str, old: str, new: str, keep: str | None = None) -> None:
        """Edit a project file as the user; remember `keep` (default `new`) as an edit to look for."""
        self.ws.edit(relative, old, new)
        self.edits.setdefault(relative, []).append(keep if keep is not None else new)

    def forget(self, relative: str, snippet: str | None = None) -> None:
        """The user dropped an edit (or a whole file) on purpose."""
        if snippet is None:
            self.edits.pop(relative, None)
        else:
            self.edits[relative].remove(snippet)

    def update(self, *args: str, expect: int = 0) -> str:
        """Run `update`; assert its exit code and that every edit is present or named in the output."""
        result = self.ws.cli("update", *args)
        assert result.exit_code == expect, result.output
        for relative, snippets in self.edits.items():
            named = f"{relative}:" in result.output or f"{relative}: kept" in result.output
            for snippet in snippets:
                present = self.ws.exists(relative) and snippet in self.ws.read(relative)
                assert present or named, f"{snippet!r} of {relative} was lost and not reported:\n{result.output}"
        return result.output

    def check(self, expect: int) -> list[dict[str, object]]:
        """Run `check --format json`; assert its exit code; return the findings."""
        result = self.ws.cli("check", "--format", "json")
        assert result.exit_code == expect, result.output
        drift: list[dict[str, object]] = json.loads(result.output)["drift"]
        return drift


def test_seven_revisions_of_the_library(tmp_path: Path) -> None:
    history = History(Workspace.create(tmp_path, LIBRARY_PROTO))
    ws = history.ws

    # r1: the developer writes code: a validation in CreateBook, a behaviour on Book, BorrowBook
    # implemented (its "not implemented" test dropped), a test of their own, a reworded DeleteBook.
    history.edit(CREATE, "        aggregate = self.repository.new()\n", VALIDATION + "        aggregate = self.repository.new()\n", VALIDATION)
    history.edit(CREATE, 'message="Book created"', 'message="Book catalogued"')
    history.edit(BOOK, '    """A book of the catalogue."""\n', '    """A book of the catalogue."""\n' + AVAILABLE, AVAILABLE)
    history.edit(BORROW, '        raise NotImplementedRpcError("BorrowBook")\n', BORROW_BODY)
    history.edit(BORROW, "from potter_runtime.errors import NotImplementedRpcError\n\n", "", "BookBorrowed")
    history.edit(BORROW, "from library.application.messages import", "from library.domain.models import BookBorrowed\nfrom library.application.messages import", "from library.domain.models import BookBorrowed")
    start = ws.read(TESTS).index("def test_borrow_book_is_not_implemented_yet")
    end = ws.read(TESTS).index("def ", start + 4)
    ws.write(TESTS, ws.read(TESTS)[:start] + ws.read(TESTS)[end:])
    history.edit(TESTS, "\n\ndef test_openapi_lists_every_route", USER_TEST + "\n\ndef test_openapi_lists_every_route", USER_TEST)
    history.edit(DELETE, 'message="Book deleted"', 'message="Book removed"')
    history.edit(GET_QUERY, "        aggregate = await self.states.get(request.id)\n", "        aggregate = await self.states.get(request.id)\n" + GET_CHECK, GET_CHECK)
    assert "Up to date" in history.update()

    # r2: a field added to the create request and event: the new line lands three lines below the user's.
    ws.edit_proto("  int32 copies = 3;\n  LendingPolicy policy = 4;\n}", "  int32 copies = 3;\n  LendingPolicy policy = 4;\n  string isbn = 5;\n}")
    ws.edit_proto("  int32 copies = 4;\n  LendingPolicy policy = 5;\n}\n\nmessage BookUpdated", "  int32 copies = 4;\n  LendingPolicy policy = 5;\n  string isbn = 6;\n}\n\nmessage BookUpdated")
    history.update()
    assert "isbn=request.isbn" in ws.read(CREATE)
    assert history.check(expect=0) == []

    # r3: a request field the user's BorrowBook reads is renamed: reported with file:line, check fails until fixed.
    ws.edit_proto("message BorrowBookRequest {\n  string book_id = 1;\n  string member_id = 2;", "message BorrowBookRequest {\n  string book_id = 1;\n  string borrower_id = 2;")
    output = history.update()
    assert "request.member_id: BorrowBookRequest has no field member_id (field removed or renamed; did you mean borrower_id?)" in output
    assert [(d["file"], d["kind"]) for d in history.check(expect=1)] == [(BORROW, "unknown-field")]
    history.forget(BORROW, BORROW_BODY)
    history.edit(BORROW, "member_id=request.member_id", "member_id=request.borrower_id")
    assert history.check(expect=0) == []

    # r4: a response field is removed: the generator rewrites the line the user reworded → a conflict, named.
    ws.edit_proto("message CreateBookResponse {\n  string book_id = 1;\n  string message = 2;\n}", "message CreateBookResponse {\n  string book_id = 1;\n}")
    output = history.update(expect=1)
    assert f"{CREATE}:" in output and "conflict: CreateBookHandler.handle" in output
    history.update("--conflicts", "markers", expect=1)
    text = ws.read(CREATE)
    start, end = text.index("<<<<<<< yours\n"), text.index(">>>>>>> potter-gen\n") + len(">>>>>>> potter-gen\n")
    ws.write(CREATE, text[:start] + "        return CreateBookResponse(book_id=aggregate.id)\n" + text[end:])
    history.forget(CREATE, 'message="Book catalogued"')
    assert "Up to date" in history.update()
    assert VALIDATION in ws.read(CREATE) and "isbn=request.isbn" in ws.read(CREATE)

    # r5: an RPC is added: its handler stub and test appear, nothing of the user's moves.
    ws.edit_proto(
        "  // Register a new member.",
        '  rpc ReturnBook(ReturnBookRequest) returns (ReturnBookResponse) {\n    option (potter.command) = { aggregate: "Book" };\n  }\n\n  // Register a new member.',
    )
    ws.set_proto(ws.proto() + "\nmessage ReturnBookRequest {\n  string book_id = 1;\n}\n\nmessage ReturnBookResponse {\n  int32 on_loan = 1;\n}\n")
    history.update()
    assert ws.exists(f"{COMMANDS}/return_book.py") and "def test_return_book_is_not_implemented_yet" in ws.read(TESTS)

    # r6: an RPC whose handler the user edited is removed: kept and listed until the user deletes it.
    ws.edit_proto(
        '  // Remove a book from the catalogue.\n  rpc DeleteBook(DeleteBookRequest) returns (DeleteBookResponse) {\n    option (potter.command) = { aggregate: "Book" };\n  }\n',
        "",
    )
    output = history.update()
    assert f"{DELETE}: kept: no longer generated, but you edited DeleteBookHandler.handle, so it stays" in output
    [orphan] = history.check(expect=1)
    assert (orphan["file"], orphan["kind"], orphan["ownership"]) == (DELETE, "orphaned", "scaffold")
    (ws.project / DELETE).unlink()
    history.forget(DELETE)
    assert history.check(expect=0) == []

    # r7: GetBook moves from query to command: the user's implementation comes along.
    ws.edit_proto(
        "  rpc GetBook(GetBookRequest) returns (GetBookResponse) {\n    option (potter.query) = { cacheable: true cache_ttl_seconds: 60 };",
        '  rpc GetBook(GetBookRequest) returns (GetBookResponse) {\n    option (potter.command) = { aggregate: "Book" };',
    )
    output = history.update()
    assert f"{GET_COMMAND}: moved from {GET_QUERY}" in output
    assert GET_CHECK in ws.read(GET_COMMAND) and not ws.exists(GET_QUERY)
    history.edits[GET_COMMAND] = history.edits.pop(GET_QUERY)

    assert history.check(expect=0) == []
    assert "Up to date" in history.update()
    run_checks(ws.project, tmp_path)


# -- an upgrade of potter-gen itself ------------------------------------------------------------------

# The first commit with a library golden: its tree is what that potter-gen rendered.
OLD_COMMIT = "56ba9c7"


def _git_show(commit: str, path: str) -> bytes:
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, capture_output=True, check=True).stdout


def old_project(root: Path) -> Path:
    """Lay out the library project as the potter-gen of OLD_COMMIT rendered it, with the `.potter/` state it had.

    Ownership comes from the generated-file header; the merge base of each
    scaffold is its rendering, as `init` records it.
    """
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", OLD_COMMIT, "golden/library/tree"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    project = root / "svc"
    files: dict[str, FileRecord] = {}
    for name in listing:
        relative = name.removeprefix("golden/library/tree/")
        data = _git_show(OLD_COMMIT, name)
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_bytes(data)
        generated = b"DO NOT EDIT" in b"\n".join(data.split(b"\n")[:2])
        kind = FileKind.GENERATED if generated or relative.endswith(("__init__.py", ".env.example")) else FileKind.SCAFFOLD
        files[relative] = FileRecord(kind, sha256(data))
        if kind is FileKind.SCAFFOLD:
            (project / BASE_DIR / relative).parent.mkdir(parents=True, exist_ok=True)
            (project / BASE_DIR / relative).write_bytes(data)
    (root / PROTO).parent.mkdir(parents=True, exist_ok=True)
    (root / PROTO).write_bytes(_git_show(OLD_COMMIT, "examples/library/library.proto"))
    manifest = Manifest("0.0.0-old", "", Invocation(("../api/shop.proto",)), files)
    (project / MANIFEST).write_text(manifest.to_json())
    return project


def test_an_upgrade_of_potter_gen_keeps_the_users_edits(tmp_path: Path) -> None:
    if subprocess.run(["git", "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"], cwd=REPO, capture_output=True).returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"commit {OLD_COMMIT} is not in this clone; CI needs the full history")
        pytest.skip(f"commit {OLD_COMMIT} is not in this clone (shallow clone?): cannot lay out the old rendering")
    project = old_project(tmp_path)
    history = History(Workspace(tmp_path))
    assert history.ws.project == project
    history.edit(CREATE, "        aggregate = self.repository.new()\n", VALIDATION + "        aggregate = self.repository.new()\n", VALIDATION)
    history.edit(BOOK, '    """A book of the catalogue."""\n', '    """A book of the catalogue."""\n' + AVAILABLE, AVAILABLE)
    history.edit(TESTS, "\n\ndef test_openapi_lists_every_route", USER_TEST + "\n\ndef test_openapi_lists_every_route", USER_TEST)
    before = history.check(expect=1)  # the new potter-gen renders differently
    assert before
    history.update()
    manifest = json.loads((project / MANIFEST).read_text())
    assert manifest["generator_version"] == __version__
    assert history.check(expect=0) == []
    shutil.rmtree(project / ".pytest_cache", ignore_errors=True)
    run_checks(project, tmp_path)
