"""Every error answer is application/problem+json (RFC 9457), through a real FastAPI app."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import AliasChoices, Field

from potter_runtime import (
    ConcurrencyError,
    DeadlineExceededError,
    DomainError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedRpcError,
    ServiceError,
    install_error_handlers,
)
from potter_runtime.messages import Message
from potter_runtime.rest import PROBLEM_RESPONSES, field_violations


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"
    retryable = True


ERRORS: dict[str, ServiceError] = {
    "invalid": InvalidArgumentError("name must not be empty"),
    "missing": NotFoundError("Item 'abc' not found"),
    "conflict": ConcurrencyError("Item 'abc' was modified concurrently"),
    "domain": DomainError("cannot ship a cancelled order"),
    "domain-override": DomainError("try later", code="BUSY", retryable=True),
    "out-of-stock": OutOfStock("no items left"),
    "todo": NotImplementedRpcError("CreateItem"),
    "slow": DeadlineExceededError("CreateItem took longer than 5 seconds"),
}


class Line(Message):
    sku: str = ""
    quantity: int = 0


class PlaceOrderRequest(Message):
    customer_id: str = Field(default="", validation_alias=AliasChoices("customerId"), serialization_alias="customerId")
    lines: list[Line] = Field(default_factory=list)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}")
    async def raise_error(name: str) -> None:
        raise ERRORS[name]

    @app.post("/orders")
    async def place_order(body: PlaceOrderRequest, page_size: Annotated[int, Query(alias="pageSize")] = 0) -> None:
        return None

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("name", "status", "code", "title", "retryable"),
    [
        ("invalid", 400, "INVALID_ARGUMENT", "Invalid argument", None),
        ("missing", 404, "NOT_FOUND", "Not found", None),
        ("conflict", 409, "CONFLICT", "Concurrent modification", None),
        ("domain", 422, "DOMAIN_ERROR", "Domain rule violated", False),
        ("domain-override", 422, "BUSY", "Domain rule violated", True),
        ("out-of-stock", 422, "OUT_OF_STOCK", "Domain rule violated", True),
        ("todo", 501, "NOT_IMPLEMENTED", "Not implemented", None),
        ("slow", 504, "DEADLINE_EXCEEDED", "Deadline exceeded", None),
    ],
)
def test_problem_json(
    client: TestClient,
    name: str,
    status: int,
    code: str,
    title: str,
    retryable: bool | None,
) -> None:
    response = client.get(f"/raise/{name}")

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    expected = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": ERRORS[name].detail,
        "code": code,
    }
    if retryable is not None:
        expected["retryable"] = retryable
    assert response.json() == expected


def test_not_implemented_detail_names_the_rpc() -> None:
    assert NotImplementedRpcError("CreateItem").detail == (
        "CreateItem is not implemented yet; write its handler"
    )


def test_domain_error_override_does_not_leak_to_class() -> None:
    DomainError("x", code="BUSY", retryable=True)
    assert (DomainError.code, DomainError.retryable) == ("DOMAIN_ERROR", False)
    assert (OutOfStock("y").code, OutOfStock("y").retryable) == ("OUT_OF_STOCK", True)


def _assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert (body["type"], body["status"], body["code"]) == ("about:blank", status, code)
    return body


def test_invalid_request_is_400_listing_each_bad_field_by_json_pointer(client: TestClient) -> None:
    response = client.post(
        "/orders?pageSize=many",
        json={"customerId": 7, "lines": [{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": "lots"}], "bogus": 1},
    )

    body = _assert_problem(response, 400, "INVALID_ARGUMENT")
    assert body["title"] == "Invalid argument"
    errors = body["errors"]
    assert isinstance(errors, list)
    assert sorted((e.get("location"), e.get("pointer") or e.get("parameter")) for e in errors) == [
        ("body", "#/bogus"),
        ("body", "#/customerId"),
        ("body", "#/lines/1/quantity"),
        ("query", "pageSize"),
    ]
    assert all(isinstance(e["detail"], str) and e["detail"] for e in errors)
    assert body["detail"] == "The request has 4 invalid field(s); see errors."


def test_body_that_is_not_json_is_400(client: TestClient) -> None:
    response = client.post("/orders", content=b"{not json", headers={"content-type": "application/json"})

    body = _assert_problem(response, 400, "INVALID_ARGUMENT")
    assert body["errors"] and body["errors"][0]["location"] == "body"  # type: ignore[index]


def test_json_pointer_escapes_tilde_and_slash() -> None:
    violations = field_violations([{"loc": ("body", "a/b", "c~d", 0), "msg": "bad"}])

    assert violations[0].pointer == "#/a~1b/c~0d/0"


def test_violation_detail_drops_pydantics_value_error_prefix() -> None:
    violations = field_violations([{"loc": ("query", "pageSize"), "msg": "Value error, 7 is out of range"}])

    assert (violations[0].detail, violations[0].parameter, violations[0].location) == ("7 is out of range", "pageSize", "query")


def test_unknown_route_is_404(client: TestClient) -> None:
    body = _assert_problem(client.get("/no/such/route"), 404, "NOT_FOUND")
    assert body["title"] == "Not found"


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/orders")

    body = _assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert body["title"] == "Method not allowed"
    assert response.headers["allow"] == "POST"


def test_unexpected_exception_is_500_without_internals(client: TestClient) -> None:
    body = _assert_problem(client.get("/crash"), 500, "INTERNAL")
    assert "secret" not in str(body)


def test_problem_responses_document_problem_json_instead_of_fastapis_422() -> None:
    app = FastAPI()
    router = APIRouter(responses=PROBLEM_RESPONSES)

    @router.post("/orders")
    async def place_order(body: PlaceOrderRequest) -> None:
        return None

    app.include_router(router)
    responses = app.openapi()["paths"]["/orders"]["post"]["responses"]

    assert "422" not in responses
    assert responses["4XX"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
    assert "errors" in app.openapi()["components"]["schemas"]["ProblemDetails"]["properties"]
