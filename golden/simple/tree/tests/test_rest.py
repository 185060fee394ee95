"""REST tests of simple: every RPC over HTTP. Yours to extend."""

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


def test_item_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create, get, list, update a Item over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/items",
        json={
            "name": "sample name",
            "description": "sample description",
            "quantity": 7,
        },
    )
    operation = finished_operation(client, created)
    assert operation["status"] == "succeeded", operation
    aggregate_id = operation["response"]["itemId"]
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

    # Only name is in the body: the other fields keep their values (JSON merge patch).
    updated = client.patch(
        f"/api/v1/items/{aggregate_id}", json={"name": "sample name"}
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/items/{aggregate_id}").json()
    assert body["name"] == "sample name"
    assert body["description"] == "changed description"
    assert body["quantity"] == 8

    assert stored_event_types("Item") == [
        "item.created",
        "item.updated",
        "item.updated",
    ]


def test_invalid_request_is_400_problem_json(client: TestClient) -> None:
    """A body member the request message lacks answers 400, naming it by JSON Pointer."""
    response = client.post("/api/v1/items", json={"bogus": 1})
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
    response = client.put("/api/v1/items", json={})
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
        ["CreateItem", "GetItem", "UpdateItem", "ListItems", "GetOperation"]
    )
