"""REST through the buses: idempotency and cache headers, 504 on a deadline, ids from headers, operator routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from potter_runtime.bus import BusMetrics, build_command_bus, build_query_bus
from potter_runtime.cache import MemoryQueryCache
from potter_runtime.idempotency import SqlIdempotencyStore
from potter_runtime.observability.endpoints import database_check, operations_router
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.rest import dispatch_context, install_error_handlers, parse_idempotency_key, send_reply
from potter_runtime.store import open_event_store

from .bus_handlers import (
    CreateItemRequest,
    CreateItemResponse,
    GetItemHandler,
    GetItemRequest,
    GetItemResponse,
    IdempotentCreateItemHandler,
)
from .items import Item

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class SlowCreate(IdempotentCreateItemHandler):
    rpc_name = "SlowCreate"
    timeout_seconds = 0.2


def _app(db_url: str) -> FastAPI:
    store = open_event_store(db_url)
    metrics = BusMetrics()
    cache = MemoryQueryCache()
    keys = SqlIdempotencyStore(store.engine)
    commands = build_command_bus(idempotency=keys, cache=cache, metrics=metrics)
    queries = build_query_bus(cache=cache, metrics=metrics)
    repository = EventSourcedRepository(store, Item)
    commands.register(IdempotentCreateItemHandler(repository))
    slow = SlowCreate(repository)
    slow.delay_seconds = 30
    commands.register(slow)
    queries.register(GetItemHandler(repository))

    async def broken() -> None:
        raise ConnectionError("nats unreachable")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await store.create_schema()
        yield
        await commands.aclose()  # results still being stored
        await keys.close()
        await store.close()

    app = FastAPI(lifespan=lifespan)
    app.state.store = store
    install_error_handlers(app)
    app.include_router(operations_router(metrics=metrics, checks={"database": database_check(store.engine)}))
    broken_app = operations_router(checks={"database": database_check(store.engine), "nats": broken})
    app.mount("/broken", FastAPI(routes=broken_app.routes))

    @app.post("/items")
    async def create_item(body: CreateItemRequest, request: Request, response: Response) -> CreateItemResponse:
        context = dispatch_context(request)
        rpc = request.query_params.get("rpc", "CreateItemOnce")
        return send_reply(response, await commands.dispatch(rpc, body, context), context)

    @app.get("/items/{item_id}")
    async def get_item(item_id: str, request: Request, response: Response) -> GetItemResponse:
        context = dispatch_context(request)
        reply = await queries.dispatch("GetItem", GetItemRequest(item_id=item_id), context)
        return send_reply(response, reply, context)

    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(f"sqlite+aiosqlite:///{tmp_path / 'rest.db'}")) as test_client:
        yield test_client


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_payload(client: TestClient) -> None:
    headers = {"Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    first = client.post("/items", json={"display_name": "Dune"}, headers=headers)
    again = client.post("/items", json={"display_name": "Dune"}, headers=headers)
    other = client.post("/items", json={"display_name": "Emma"}, headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert other.status_code == 422 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "IDEMPOTENCY_KEY_MISMATCH"


def test_a_replayed_error_is_the_same_problem_marked_replayed(client: TestClient) -> None:
    headers = {"Idempotency-Key": "blank-1"}
    first = client.post("/items", json={"display_name": ""}, headers=headers)
    again = client.post("/items", json={"display_name": ""}, headers=headers)

    assert first.status_code == again.status_code == 422
    assert (
        again.json()
        == first.json()
        == {
            "type": "about:blank",
            "title": "Domain rule violated",
            "status": 422,
            "detail": "display_name must not be blank",
            "code": "BLANK_NAME",
            "retryable": False,
        }
    )
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers


def test_a_handler_past_its_deadline_answers_504_and_stores_nothing(client: TestClient) -> None:
    answer = client.post("/items?rpc=SlowCreate", json={"item_id": "late-1", "display_name": "Late"})

    assert answer.status_code == 504 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "DEADLINE_EXCEEDED"
    assert client.get("/items/late-1").status_code == 404


def test_cached_queries_carry_cache_control_and_age(client: TestClient) -> None:
    client.post("/items", json={"item_id": "c-1", "display_name": "Cached"})

    miss = client.get("/items/c-1")
    hit = client.get("/items/c-1")

    assert miss.headers["Cache-Control"] == hit.headers["Cache-Control"] == "max-age=60"
    assert miss.headers["Age"] == "0" and int(hit.headers["Age"]) >= 0
    assert hit.json() == miss.json() == {"item_id": "c-1", "display_name": "Cached"}


def test_request_id_and_traceparent_become_the_events_ids(client: TestClient) -> None:
    answer = client.post(
        "/items",
        json={"item_id": "t-1", "display_name": "Traced"},
        headers={"X-Request-ID": "req-42", "traceparent": TRACEPARENT},
    )

    assert answer.headers["X-Request-ID"] == "req-42"
    store: Any = client.app.state.store  # type: ignore[attr-defined]
    [event] = client.portal.call(store.load, "Item", "t-1")  # type: ignore[union-attr]
    assert (event.metadata.command_id, event.metadata.correlation_id) == ("req-42", "4bf92f3577b34da6a3ce929d0e0e4736")


def test_operator_routes(client: TestClient) -> None:
    client.post("/items", json={"display_name": "Counted"})

    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "checks": {"database": "ok"}}
    broken = client.get("/broken/readyz")
    assert broken.status_code == 503
    assert broken.json()["checks"] == {"database": "ok", "nats": "ConnectionError: nats unreachable"}
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'potter_commands_total{outcome="OK",rpc="CreateItemOnce"} 1.0' in metrics.text


@pytest.mark.parametrize(
    ("header", "key"),
    [(None, None), ('"abc"', "abc"), ("abc", "abc"), (' "a\\"b" ', 'a"b'), ('""', "")],
)
def test_idempotency_key_header_values(header: str | None, key: str | None) -> None:
    assert parse_idempotency_key(header) == key
