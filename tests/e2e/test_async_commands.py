"""Async commands of the generated library service, as deployed: PostgreSQL, a private NATS, a real process.

`potter-gen init` on the library example, the `ImportBooks` handler filled in
as a user would (it catalogues each book of the request), `alembic upgrade
heads`, then `python -m library` with `NATS_URL` (a nats-server of the
test's own), driven over HTTP:

- `POST /api/v1/books/import_books` answers 202 with `Location:
  /api/v1/operations/{id}`; the operation ends `succeeded` with the response,
  the books are readable and their events reach JetStream;
- after `alembic upgrade heads` the `operations` table (revision potter_0002)
  is exactly the runtime's, as alembic's autogenerate compares them;
- `kill -9` right after a burst of 202s: after a restart every accepted
  operation ends `succeeded`, and each was applied once (one event stamped
  with the operation's key per operation).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_PROTO, REPO
from tests.e2e.test_postgres_service import (
    BIN,
    Service,
    _jetstream_ids,
    metadata_differences,
    private_nats,
    query,
    run,
    service_env,
)

pytestmark = pytest.mark.e2e

IMPORT_HANDLER = '''"""ImportBooks command handler: catalogues each book of the request (the e2e test's implementation)."""

from __future__ import annotations

from library.application.bases import ImportBooksHandlerBase
from library.application.messages import ImportBooksRequest, ImportBooksResponse
from library.domain.models import BookCreated


class ImportBooksHandler(ImportBooksHandlerBase):
    """Catalogue a batch of books."""

    async def handle(self, request: ImportBooksRequest) -> ImportBooksResponse:
        book_ids = []
        for book in request.books:
            aggregate = self.repository.new()
            aggregate.record(
                BookCreated(book_id=aggregate.id, title=book.title, author=book.author, copies=book.copies)
            )
            await self.repository.save(aggregate)
            book_ids.append(aggregate.id)
        return ImportBooksResponse(book_ids=book_ids)
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the library project generated from the example proto, with ImportBooks implemented."""
    root = tmp_path_factory.mktemp("async") / "library"
    run(
        [str(BIN / "potter-gen"), "init", "--proto", str(EXAMPLE_PROTO), "--output", str(root)],
        REPO,
        service_env(root, "sqlite+aiosqlite://"),
    )
    (root / "src/library/application/commands/import_books.py").write_text(IMPORT_HANDLER)
    return root


@pytest.fixture
def migrated(project: Path, fresh_postgres_url: str) -> str:
    """Return the URL of a database of this test, migrated with `alembic upgrade heads`."""
    run([str(BIN / "alembic"), "upgrade", "heads"], project, service_env(project, fresh_postgres_url))
    return fresh_postgres_url


@pytest.fixture
def serve(project: Path) -> Iterator[type[Service]]:
    """Start services with `serve(project, url, **settings)`; every one started is stopped at the end."""
    started: list[Service] = []

    class Tracked(Service):
        def __init__(self, project: Path, database_url: str, **settings: str) -> None:
            super().__init__(project, database_url, **settings)
            started.append(self)

    yield Tracked
    for service in started:
        service.stop()


def test_the_operations_revision_creates_exactly_the_runtime_table(project: Path, migrated: str) -> None:
    """potter_0002 creates `operations` as the runtime defines it: alembic finds nothing to change."""
    assert query(migrated, "SELECT version_num FROM alembic_version WHERE version_num = 'potter_0002'") == [("potter_0002",)]
    assert metadata_differences(project, migrated) == []


def finished(client: httpx.Client, location: str) -> dict[str, Any]:
    """Poll an operation until it is done (up to 60 s) and return it."""
    deadline = time.monotonic() + 60
    while True:
        operation: dict[str, Any] = client.get(location).json()
        if operation["done"] or time.monotonic() > deadline:
            return operation
        time.sleep(0.05)


def test_import_is_accepted_then_succeeds_and_its_events_reach_jetstream(
    serve: type[Service], project: Path, migrated: str, tmp_path: Path
) -> None:
    """202 + Location; the operation ends succeeded with the book ids; the books exist; JetStream has their events."""
    nats = private_nats(tmp_path)
    nats.start()
    try:
        service = serve(project, migrated, NATS_URL=nats.url)
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            books = [
                {"title": "Dune", "author": "Herbert", "copies": 2},
                {"title": "Emma", "author": "Austen", "copies": 1},
            ]
            accepted = client.post("/api/v1/books/import_books", json={"books": books})
            assert accepted.status_code == 202, accepted.text
            body = accepted.json()
            assert accepted.headers["Location"] == f"/api/v1/operations/{body['id']}"
            assert (body["name"], body["status"], body["done"]) == (f"operations/{body['id']}", "pending", False)

            operation = finished(client, accepted.headers["Location"])
            assert operation["status"] == "succeeded", operation
            book_ids = operation["response"]["bookIds"]
            assert len(book_ids) == 2
            titles = [client.get(f"/api/v1/books/{book_id}").json()["book"]["title"] for book_id in book_ids]
            assert titles == ["Dune", "Emma"]
            assert client.get("/api/v1/operations/00000000-0000-4000-8000-000000000000").status_code == 404
        stored = {str(row[0]) for row in query(migrated, "SELECT event_id FROM events")}
        assert len(stored) == 2
        received = asyncio.run(_jetstream_ids(nats.url, len(stored)))
        assert sorted(received) == sorted(stored)
    finally:
        nats.stop()


def test_accepted_imports_survive_kill_9_and_run_once(
    serve: type[Service], project: Path, migrated: str, tmp_path: Path
) -> None:
    """kill -9 right after 30 accepted imports; after a restart all 30 end succeeded, each applied exactly once."""
    nats = private_nats(tmp_path)
    nats.start()
    try:
        # A short lease: operations the killed process held are handed out again soon after the restart.
        settings = {"NATS_URL": nats.url, "OPERATION_LEASE_SECONDS": "3", "OPERATION_SWEEP_SECONDS": "1"}
        service = serve(project, migrated, **settings)
        locations = []
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            for n in range(30):
                accepted = client.post("/api/v1/books/import_books", json={"books": [{"title": f"k{n}", "copies": 1}]})
                assert accepted.status_code == 202, accepted.text
                locations.append(accepted.headers["Location"])
        service.kill()

        restarted = serve(project, migrated, **settings)
        with httpx.Client(base_url=restarted.base_url, timeout=10) as client:
            operations = [finished(client, location) for location in locations]
        assert [operation["status"] for operation in operations] == ["succeeded"] * 30, operations
        keys = query(
            migrated,
            "SELECT metadata->>'idempotencyKey', count(*) FROM events WHERE event_type = 'library.book.created' GROUP BY 1",
        )
        assert sorted(str(key) for key, _ in keys) == sorted(f"operation:{operation['id']}" for operation in operations)
        assert {count for _, count in keys} == {1}
    finally:
        nats.stop()
