"""REST tests of shelf: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient


def test_shelf_lifecycle(client: TestClient, database: Path) -> None:
    """Create, get, delete a Shelf over HTTP; its events are stored."""
    created = client.post("/api/v1/shelfs", json={"theme": "sample theme"})
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["id"]
    assert aggregate_id

    got = client.get(f"/api/v1/shelfs/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["theme"] == "sample theme"

    deleted = client.delete(f"/api/v1/shelfs/{aggregate_id}")
    assert deleted.status_code == 200, deleted.text
    gone = client.get(f"/api/v1/shelfs/{aggregate_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"

    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT event_type FROM events WHERE aggregate_type = ? ORDER BY version",
            ("Shelf",),
        ).fetchall()
    assert [row[0] for row in stored] == ["shelf.created", "shelf.deleted"]


def test_author_lifecycle(client: TestClient, database: Path) -> None:
    """Create a Author over HTTP; its events are stored."""
    created = client.post("/api/v1/authors", json={"name": "sample name"})
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["authorId"]
    assert aggregate_id

    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT event_type FROM events WHERE aggregate_type = ? ORDER BY version",
            ("Author",),
        ).fetchall()
    assert [row[0] for row in stored] == ["author.created"]


def test_list_shelves_is_not_implemented_yet(client: TestClient) -> None:
    """ListShelves answers 501 until its handler is written."""
    response = client.post("/api/v1/shelfs/list_shelves", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("ListShelves")


def test_openapi_lists_every_route(client: TestClient) -> None:
    """The OpenAPI document names every RPC as an operation."""
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    operations = {
        operation["operationId"]
        for path in response.json()["paths"].values()
        for operation in path.values()
    }
    assert operations == set(
        ["CreateShelf", "GetShelf", "ListShelves", "DeleteShelf", "CreateAuthor"]
    )
