"""REST tests of product: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient


def test_product_lifecycle(client: TestClient, database: Path) -> None:
    """Create, get, list, update, delete a Product over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/products",
        json={
            "name": "sample name",
            "description": "sample description",
            "price": 1.5,
            "stock": 7,
            "category": "sample category",
        },
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["productId"]
    assert aggregate_id

    got = client.get(f"/api/v1/products/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["product"]["name"] == "sample name"
    assert body["product"]["price"] == 1.5
    assert body["product"]["stock"] == 7

    listed = client.get("/api/v1/products")
    assert listed.status_code == 200, listed.text
    assert aggregate_id in [x["id"] for x in listed.json()["products"]]

    updated = client.patch(
        f"/api/v1/products/{aggregate_id}",
        json={
            "name": "changed name",
            "description": "changed description",
            "price": 2.5,
            "stock": 8,
            "category": "changed category",
        },
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/products/{aggregate_id}").json()
    assert body["product"]["name"] == "changed name"
    assert body["product"]["price"] == 2.5
    assert body["product"]["stock"] == 8

    deleted = client.delete(f"/api/v1/products/{aggregate_id}")
    assert deleted.status_code == 200, deleted.text
    gone = client.get(f"/api/v1/products/{aggregate_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"

    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT event_type FROM events WHERE aggregate_type = ? ORDER BY version",
            ("Product",),
        ).fetchall()
    assert [row[0] for row in stored] == [
        "product.created",
        "product.updated",
        "product.deleted",
    ]


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
        [
            "GetProduct",
            "ListProducts",
            "CreateProduct",
            "UpdateProduct",
            "DeleteProduct",
        ]
    )
