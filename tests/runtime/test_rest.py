"""ServiceError → application/problem+json through a real FastAPI app."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

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


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}")
    async def raise_error(name: str) -> None:
        raise ERRORS[name]

    return TestClient(app)


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
