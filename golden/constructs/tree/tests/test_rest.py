"""REST tests of kitchen: every RPC over HTTP. Yours to extend."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_dish_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create, get, list a Dish over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/dishes",
        json={"name": "sample name", "calories": "7", "from": "sample from"},
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["dishId"]
    assert aggregate_id

    got = client.get(f"/api/v1/dishes/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["name"] == "sample name"
    assert body["calories"] == "7"
    assert body["from"] == "sample from"

    listed = client.get("/api/v1/dishes")
    assert listed.status_code == 200, listed.text
    assert aggregate_id in [x["id"] for x in listed.json()["dishes"]]

    assert stored_event_types("Dish") == ["dish.created"]


def test_watch_dishes_is_not_implemented_yet(client: TestClient) -> None:
    """WatchDishes answers 501 until its handler is written."""
    response = client.post("/api/v1/dishes/watch_dishes", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("WatchDishes")


def test_import__is_not_implemented_yet(client: TestClient) -> None:
    """Import answers 501 until its handler is written."""
    response = client.post("/api/v1/kitchens/import", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("Import")


def test_search_dishes_is_not_implemented_yet(client: TestClient) -> None:
    """SearchDishes answers 501 until its handler is written."""
    response = client.post("/api/v1/dishes/search_dishes", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("SearchDishes")


def test_send_envelope_is_not_implemented_yet(client: TestClient) -> None:
    """SendEnvelope answers 501 until its handler is written."""
    response = client.post("/api/v1/envelopes/send_envelope", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("SendEnvelope")


def test_get_envelope_is_not_implemented_yet(client: TestClient) -> None:
    """GetEnvelope answers 501 until its handler is written."""
    response = client.post("/api/v1/envelopes/get_envelope", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("GetEnvelope")


def test_invalid_request_is_400_problem_json(client: TestClient) -> None:
    """A body member the request message lacks answers 400, naming it by JSON Pointer."""
    response = client.post("/api/v1/dishes", json={"bogus": 1})
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
    response = client.put("/api/v1/dishes", json={})
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
            "CreateDish",
            "GetDish",
            "ListDishes",
            "WatchDishes",
            "Import",
            "SearchDishes",
            "SendEnvelope",
            "GetEnvelope",
            "GetOperation",
        ]
    )
