"""REST tests of product: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

from collections.abc import Callable

import time

from typing import Any

import httpx
from fastapi.testclient import TestClient


def finished_operation(client: TestClient, accepted: httpx.Response) -> dict[str, Any]:
    """Check an async command's 202 answer, then poll its operation (AIP-151) until it is done; return it."""
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    assert location == "/api/v1/operations/" + accepted.json()["id"]
    deadline = time.monotonic() + 30  # a worker executes it in the background
    while True:
        operation: dict[str, Any] = client.get(location).json()
        if operation["done"] or time.monotonic() > deadline:
            return operation
        time.sleep(0.02)


def test_product_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
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
    operation = finished_operation(client, created)
    assert operation["status"] == "succeeded", operation
    aggregate_id = operation["response"]["productId"]
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

    # Only name is in the body: the other fields keep their values (JSON merge patch).
    updated = client.patch(
        f"/api/v1/products/{aggregate_id}", json={"name": "sample name"}
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/products/{aggregate_id}").json()
    assert body["product"]["name"] == "sample name"
    assert body["product"]["price"] == 2.5
    assert body["product"]["stock"] == 8

    deleted = client.delete(f"/api/v1/products/{aggregate_id}")
    assert deleted.status_code == 200, deleted.text
    gone = client.get(f"/api/v1/products/{aggregate_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"

    assert stored_event_types("Product") == [
        "product.created",
        "product.updated",
        "product.updated",
        "product.deleted",
    ]


def test_invalid_request_is_400_problem_json(client: TestClient) -> None:
    """A body member the request message lacks answers 400, naming it by JSON Pointer."""
    response = client.post("/api/v1/products", json={"bogus": 1})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["code"]) == ("about:blank", "INVALID_ARGUMENT")
    assert [e["pointer"] for e in body["errors"]] == ["#/bogus"]


def test_unknown_operation_is_404_problem_json(client: TestClient) -> None:
    """GET /api/v1/operations/{id} of an id never accepted answers 404 problem+json."""
    response = client.get("/api/v1/operations/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_route_is_404_problem_json(client: TestClient) -> None:
    """A path no route serves answers 404 problem+json."""
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "NOT_FOUND"


def test_wrong_method_is_405_problem_json(client: TestClient) -> None:
    """A method the route does not serve answers 405 problem+json."""
    response = client.put("/api/v1/products/sample-id", json={})
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


def test_openapi_lists_every_route(client: TestClient) -> None:
    """The OpenAPI document names every RPC as an operation, and GetOperation (async commands' operations)."""
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
            "GetOperation",
        ]
    )
