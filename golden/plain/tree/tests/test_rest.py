"""REST tests of shelf: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_shelf_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create, get, update, delete a Shelf over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/shelfs", json={"theme": "sample theme", "capacity": 7}
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["id"]
    assert aggregate_id

    got = client.get(f"/api/v1/shelfs/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["theme"] == "sample theme"
    assert body["capacity"] == 7

    updated = client.patch(
        f"/api/v1/shelfs/{aggregate_id}", json={"theme": "changed theme", "capacity": 8}
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/shelfs/{aggregate_id}").json()
    assert body["theme"] == "changed theme"
    assert body["capacity"] == 8

    # Only theme is in the body: the other fields keep their values (JSON merge patch).
    updated = client.patch(
        f"/api/v1/shelfs/{aggregate_id}", json={"theme": "sample theme"}
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/shelfs/{aggregate_id}").json()
    assert body["theme"] == "sample theme"
    assert body["capacity"] == 8

    # update_mask names only theme: the body's other fields are not applied (AIP-161).
    updated = client.patch(
        f"/api/v1/shelfs/{aggregate_id}",
        json={"theme": "changed theme", "capacity": 7, "updateMask": "theme"},
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/shelfs/{aggregate_id}").json()
    assert body["theme"] == "changed theme"
    assert body["capacity"] == 8

    deleted = client.delete(f"/api/v1/shelfs/{aggregate_id}")
    assert deleted.status_code == 200, deleted.text
    gone = client.get(f"/api/v1/shelfs/{aggregate_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"

    assert stored_event_types("Shelf") == [
        "shelf.created",
        "shelf.updated",
        "shelf.updated",
        "shelf.updated",
        "shelf.deleted",
    ]


def test_author_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create a Author over HTTP; its events are stored."""
    created = client.post("/api/v1/authors", json={"name": "sample name"})
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["authorId"]
    assert aggregate_id

    assert stored_event_types("Author") == ["author.created"]


def test_list_shelves_is_not_implemented_yet(client: TestClient) -> None:
    """ListShelves answers 501 until its handler is written."""
    response = client.post("/api/v1/shelfs/list_shelves", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("ListShelves")


def test_invalid_request_is_400_problem_json(client: TestClient) -> None:
    """A body member the request message lacks answers 400, naming it by JSON Pointer."""
    response = client.post("/api/v1/shelfs", json={"bogus": 1})
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
    response = client.put("/api/v1/shelfs", json={})
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
            "CreateShelf",
            "GetShelf",
            "ListShelves",
            "UpdateShelf",
            "DeleteShelf",
            "CreateAuthor",
            "GetOperation",
        ]
    )
