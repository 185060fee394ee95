"""REST tests of simple: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient


def test_item_lifecycle(client: TestClient, database: Path) -> None:
    """Create, get, list, update a Item over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/items",
        json={
            "name": "sample name",
            "description": "sample description",
            "quantity": 7,
        },
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["itemId"]
    assert aggregate_id

    got = client.get(f"/api/v1/items/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["name"] == "sample name"
    assert body["description"] == "sample description"
    assert body["quantity"] == 7

    listed = client.get("/api/v1/items")
    assert listed.status_code == 200, listed.text
    assert aggregate_id in [x["id"] for x in listed.json()["items"]]

    updated = client.patch(
        f"/api/v1/items/{aggregate_id}",
        json={
            "name": "changed name",
            "description": "changed description",
            "quantity": 8,
        },
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/items/{aggregate_id}").json()
    assert body["name"] == "changed name"
    assert body["description"] == "changed description"
    assert body["quantity"] == 8

    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT event_type FROM events WHERE aggregate_type = ? ORDER BY version",
            ("Item",),
        ).fetchall()
    assert [row[0] for row in stored] == ["item.created", "item.updated"]


def test_openapi_lists_every_route(client: TestClient) -> None:
    """The OpenAPI document names every RPC as an operation."""
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    operations = {
        operation["operationId"]
        for path in response.json()["paths"].values()
        for operation in path.values()
    }
    assert operations == set(["CreateItem", "GetItem", "UpdateItem", "ListItems"])
