"""REST tests of library: every RPC over HTTP. Yours to extend."""

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


def test_book_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create, get, list, update, delete a Book over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/books",
        json={"title": "sample title", "author": "sample author", "copies": 7},
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["bookId"]
    assert aggregate_id

    got = client.get(f"/api/v1/books/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["book"]["title"] == "sample title"
    assert body["book"]["author"] == "sample author"
    assert body["book"]["copies"] == 7

    listed = client.get("/api/v1/books")
    assert listed.status_code == 200, listed.text
    assert aggregate_id in [x["id"] for x in listed.json()["books"]]

    updated = client.patch(
        f"/api/v1/books/{aggregate_id}",
        json={"title": "changed title", "author": "changed author", "copies": 8},
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/books/{aggregate_id}").json()
    assert body["book"]["title"] == "changed title"
    assert body["book"]["author"] == "changed author"
    assert body["book"]["copies"] == 8

    # Only title is in the body: the other fields keep their values (JSON merge patch).
    updated = client.patch(
        f"/api/v1/books/{aggregate_id}", json={"title": "sample title"}
    )
    assert updated.status_code == 200, updated.text
    body = client.get(f"/api/v1/books/{aggregate_id}").json()
    assert body["book"]["title"] == "sample title"
    assert body["book"]["author"] == "changed author"
    assert body["book"]["copies"] == 8

    deleted = client.delete(f"/api/v1/books/{aggregate_id}")
    assert deleted.status_code == 200, deleted.text
    gone = client.get(f"/api/v1/books/{aggregate_id}")
    assert gone.status_code == 404, gone.text
    assert gone.headers["content-type"] == "application/problem+json"

    assert stored_event_types("Book") == [
        "library.book.created",
        "library.book.updated",
        "library.book.updated",
        "library.book.deleted",
    ]


def test_member_lifecycle(
    client: TestClient, stored_event_types: Callable[[str], list[str]]
) -> None:
    """Create, get, list a Member over HTTP; its events are stored."""
    created = client.post(
        "/api/v1/members",
        json={"fullName": "sample full_name", "email": "sample email"},
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["memberId"]
    assert aggregate_id

    got = client.get(f"/api/v1/members/{aggregate_id}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["fullName"] == "sample full_name"
    assert body["email"] == "sample email"

    listed = client.get("/api/v1/members")
    assert listed.status_code == 200, listed.text
    assert aggregate_id in [x["id"] for x in listed.json()["members"]]

    assert stored_event_types("Member") == ["library.member.created"]


def test_get_book_summary_reads_read_model_book_summary(client: TestClient) -> None:
    """GetBookSummary answers 404 for an unknown id, then the document its projection writes after a create."""
    unknown = client.post(
        "/api/v1/books/get_book_summary", json={"bookId": "no-such-id"}
    )
    assert unknown.status_code == 404, unknown.text
    created = client.post(
        "/api/v1/books",
        json={"title": "sample title", "author": "sample author", "copies": 7},
    )
    assert created.status_code == 201, created.text
    aggregate_id = created.json()["bookId"]
    deadline = (
        time.monotonic() + 30
    )  # the projection reads new events in the background
    while True:
        found = client.post(
            "/api/v1/books/get_book_summary", json={"bookId": aggregate_id}
        )
        if found.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found.status_code == 200, found.text


def test_borrow_book_is_not_implemented_yet(client: TestClient) -> None:
    """BorrowBook answers 501 until its handler is written."""
    response = client.post("/api/v1/books/borrow_book", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("BorrowBook")


def test_search_books_is_not_implemented_yet(client: TestClient) -> None:
    """SearchBooks answers 501 until its handler is written."""
    response = client.post("/api/v1/books/search_books", json={})
    assert response.status_code == 501, response.text
    assert response.json()["detail"].startswith("SearchBooks")


def test_import_books_is_accepted_and_not_implemented_yet(client: TestClient) -> None:
    """ImportBooks is accepted (202); until its handler is written its operation fails with a 501 problem."""
    accepted = client.post("/api/v1/books/import_books", json={})
    operation = finished_operation(client, accepted)
    assert operation["status"] == "failed", operation
    assert operation["error"]["code"] == "NOT_IMPLEMENTED", operation
    assert operation["error"]["detail"].startswith("ImportBooks")


def test_invalid_request_is_400_problem_json(client: TestClient) -> None:
    """A body member the request message lacks answers 400, naming it by JSON Pointer."""
    response = client.post("/api/v1/books", json={"bogus": 1})
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
    response = client.put("/api/v1/books", json={})
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
            "CreateBook",
            "GetBook",
            "ListBooks",
            "UpdateBook",
            "DeleteBook",
            "BorrowBook",
            "SearchBooks",
            "CreateMember",
            "GetMember",
            "ListMembers",
            "GetBookSummary",
            "ImportBooks",
            "GetOperation",
        ]
    )
