"""Storage planning (potter_gen/read_models.py): read models, state indexes, and revisions that never change once written."""

from __future__ import annotations

import re
from pathlib import Path

from potter_gen.pipeline import generate_tree
from potter_gen.render import Storage
from tests.conftest import EXAMPLE_PROTO

REVISIONS = "migrations/versions/"

EXTRA_READ_MODEL = """
  // Who wrote what: a read model added in a later revision of the proto.
  rpc GetAuthorCard(GetAuthorCardRequest) returns (AuthorCard) {
    option (potter.query) = { read_model: "author_card" };
  }
"""
EXTRA_MESSAGES = """
message GetAuthorCardRequest { string book_id = 1; }
message AuthorCard { string book_id = 1; string author = 2; }
"""


def _library(tmp_path: Path, extra: bool) -> dict[str, str]:
    text = EXAMPLE_PROTO.read_text()
    if extra:
        text = text.replace("  // List members.\n", EXTRA_READ_MODEL + "\n  // List members.\n", 1) + EXTRA_MESSAGES
    proto = tmp_path / ("extra" if extra else "base") / "library.proto"
    proto.parent.mkdir(parents=True)
    proto.write_text(text)
    generated = generate_tree([proto], [proto.parent, EXAMPLE_PROTO.parents[2] / "proto"])
    return {path: file.text for path, file in generated.tree.items()}


def _down_revision(text: str) -> str:
    match = re.search(r"^down_revision = (.+)$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def _revision(text: str) -> str:
    match = re.search(r"^revision = (.+)$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_library_storage_plan(tmp_path: Path) -> None:
    tree = _library(tmp_path, extra=False)
    revisions = sorted(path.removeprefix(REVISIONS) for path in tree if path.startswith(REVISIONS))
    assert revisions == [
        "potter_0001_event_store.py",
        "potter_0002_operations.py",
        "read_model_book_summary.py",
        "state_index_book_author.py",
        "state_partial_index_book_author.py",
    ]
    assert _down_revision(tree[REVISIONS + "potter_0001_event_store.py"]) == "None"
    # The operations table of async commands: a revision of its own, never an edit of potter_0001.
    assert _down_revision(tree[REVISIONS + "potter_0002_operations.py"]) == '"potter_0001"'
    assert '"operations"' not in tree[REVISIONS + "potter_0001_event_store.py"]
    assert _down_revision(tree[REVISIONS + "read_model_book_summary.py"]) == '"potter_0001"'
    assert "(state ->> 'author')" in tree[REVISIONS + "state_index_book_author.py"]
    # The index's partial shape is a revision after the one that created it, never an edit of it.
    partial = tree[REVISIONS + "state_partial_index_book_author.py"]
    assert _down_revision(partial) == _revision(tree[REVISIONS + "state_index_book_author.py"])
    assert "KIND = sa.text(\"aggregate_type = 'Book'\")" in partial and "postgresql_where=KIND" in partial
    handler = tree["src/library/application/queries/get_book_summary.py"]
    assert "return await self.read_model.get(request.book_id)" in handler
    listing = tree["src/library/application/queries/list_books.py"]
    assert 'filters = {"author": request.author}' in listing and "page_token=request.page_token" in listing


def test_a_new_read_model_adds_a_revision_and_edits_none(tmp_path: Path) -> None:
    """A proto change needing schema gets a new revision; every revision of the old tree is byte-identical."""
    before, after = _library(tmp_path, extra=False), _library(tmp_path, extra=True)
    old = {path: text for path, text in before.items() if path.startswith(REVISIONS)}
    new = {path: text for path, text in after.items() if path.startswith(REVISIONS)}
    assert set(new) - set(old) == {REVISIONS + "read_model_author_card.py"}
    assert all(new[path] == text for path, text in old.items())
    revision_ids = [_revision(text) for text in new.values()]
    assert len(set(revision_ids)) == len(revision_ids) and all(len(r.strip('"')) <= 32 for r in revision_ids)


def test_standard_get_on_a_read_model_keeps_reading_the_state(tmp_path: Path) -> None:
    """A standard Get naming a read model reads the state projection (read-your-writes); the read model still exists."""
    text = EXAMPLE_PROTO.read_text().replace(
        "option (potter.query) = { cacheable: true cache_ttl_seconds: 60 };",
        'option (potter.query) = { cacheable: true cache_ttl_seconds: 60 read_model: "book_page" };',
    )
    proto = tmp_path / "library.proto"
    proto.write_text(text)
    generated = generate_tree([proto], [tmp_path, EXAMPLE_PROTO.parents[2] / "proto"])
    tree = {path: file.text for path, file in generated.tree.items()}
    assert "await self.states.get(request.id)" in tree["src/library/application/queries/get_book.py"]
    assert REVISIONS + "read_model_book_page.py" in tree
    assert [m.name for m in Storage.of(generated.project).read_models] == ["book_page", "book_summary"]  # declaration order
