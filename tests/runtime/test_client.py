"""potter_runtime.client: request building, typed errors, retries, NDJSON streams, real HTTP.

Unit tests answer from `httpx.MockTransport` scripts that count attempts; the
integration tests drive a small FastAPI app (the runtime's own problem+json and
NDJSON glue) over a real uvicorn socket and over `httpx.ASGITransport`.
Retries use zero backoff, so nothing here waits or asserts on time.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import enum
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pydantic
import pytest
import tenacity
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import AliasChoices, Field

from potter_runtime.client import (
    IDEMPOTENCY_KEY_HEADER,
    STATUS_CODES,
    ApiError,
    AsyncClient,
    Client,
    FieldError,
    InvalidArgumentError,
    RetryPolicy,
    Route,
    _retry_after,
    error_from_response,
)
from potter_runtime.errors import DomainError, NotFoundError
from potter_runtime.messages import Int64, Message
from potter_runtime.rest import install_error_handlers, ndjson_response

BASE_URL = "http://books.test"
BIG = 2**53 + 1  # not exactly representable as a JSON number read into a double
FAST = RetryPolicy(attempts=3, initial_backoff=0, max_backoff=0)
NDJSON = {"content-type": "application/x-ndjson"}


# --- the "generated SDK" under test -------------------------------------------------------------


class Color(enum.StrEnum):
    """Enum as generated: values are the proto names."""

    COLOR_UNSPECIFIED = "COLOR_UNSPECIFIED"
    RED = "RED"
    GREEN = "GREEN"


class Book(Message):
    id: str = ""
    title: str = ""
    page_count: Int64 = Field(
        default=0, validation_alias=AliasChoices("pageCount", "page_count"), serialization_alias="pageCount"
    )


class CreateBookRequest(Message):
    title: str = ""
    author_name: str = Field(
        default="", validation_alias=AliasChoices("authorName", "author_name"), serialization_alias="authorName"
    )
    page_count: Int64 = Field(
        default=0, validation_alias=AliasChoices("pageCount", "page_count"), serialization_alias="pageCount"
    )
    note: str | None = None


class GetBookRequest(Message):
    id: str = ""


class GetOrderRequest(Message):
    number: Int64 = 0


class ListBooksRequest(Message):
    page_size: int = Field(
        default=0, validation_alias=AliasChoices("pageSize", "page_size"), serialization_alias="pageSize"
    )
    min_pages: Int64 = Field(
        default=0, validation_alias=AliasChoices("minPages", "min_pages"), serialization_alias="minPages"
    )
    colors: list[Color] = Field(default_factory=list)
    color: Color = Color.COLOR_UNSPECIFIED
    in_print: bool = Field(
        default=False, validation_alias=AliasChoices("inPrint", "in_print"), serialization_alias="inPrint"
    )
    with_covers: bool = Field(
        default=True, validation_alias=AliasChoices("withCovers", "with_covers"), serialization_alias="withCovers"
    )
    secret: str = ""  # not a query field of the route: never sent


class WatchRequest(Message):
    shelf: str = ""


CREATE_BOOK = Route("POST", "/api/v1/books", has_body=True)
RESERVE_BOOK = Route("POST", "/api/v1/books/reserve", has_body=True, idempotent=True)
GET_BOOK = Route("GET", "/api/v1/books/{id}", path_field="id")
GET_ORDER = Route("GET", "/api/v1/orders/{number}", path_field="number")
LIST_BOOKS = Route("GET", "/api/v1/books", query=("pageSize", "minPages", "colors", "color", "inPrint", "withCovers"))
DELETE_BOOK = Route("DELETE", "/api/v1/books/{id}", path_field="id")
WATCH_BOOKS = Route("POST", "/api/v1/books/watch", has_body=True)
LOCK_SHELF = Route("POST", "/api/v1/shelves/lock", has_body=True)


class OutOfStockError(ApiError):
    error_code = "OUT_OF_STOCK"


class ShelfLockedError(ApiError):
    error_code = "SHELF_LOCKED"


ERRORS: dict[str, type[ApiError]] = {cls.error_code: cls for cls in (OutOfStockError, ShelfLockedError)}


class BookClient(Client):
    errors = ERRORS


class AsyncBookClient(AsyncClient):
    errors = ERRORS


# --- scripted transport -------------------------------------------------------------------------


Answer = httpx.Response | type[httpx.TransportError]


class Script:
    """A MockTransport handler: answers in order (the last one repeats) and records every request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)
        # A fresh response per attempt: a response object belongs to one request.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def attempts(self) -> int:
        return len(self.requests)


def ok_book(**fields: Any) -> httpx.Response:
    return httpx.Response(200, json=Book(**fields).model_dump(mode="json"))


def problem(status: int, code: str, detail: str = "it failed", **extra: Any) -> httpx.Response:
    """A problem+json answer as `potter_runtime.rest` writes it; `extra` adds body fields or `headers`."""
    headers = {"content-type": "application/problem+json", **extra.pop("headers", {})}
    body = {"type": "about:blank", "title": "Domain rule violated", "status": status, "detail": detail, "code": code}
    return httpx.Response(status, json={**body, **extra}, headers=headers)


def sync_client(script: Script, retry: RetryPolicy = FAST, **kwargs: Any) -> BookClient:
    http = httpx.Client(transport=httpx.MockTransport(script), base_url=BASE_URL)
    return BookClient(http_client=http, retry=retry, **kwargs)


def async_client(script: Script, retry: RetryPolicy = FAST, **kwargs: Any) -> AsyncBookClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(script), base_url=BASE_URL)
    return AsyncBookClient(http_client=http, retry=retry, **kwargs)


Call = Callable[..., Book]


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest) -> Call:
    """`call(script, route, message, retry=..., **call_kwargs)` through `Client._call` or `AsyncClient._call`."""

    def sync_call(script: Script, route: Route, message: Message, *, retry: RetryPolicy = FAST, **kw: Any) -> Book:
        with sync_client(script, retry) as client:
            return client._call(route, message, Book, **kw)

    def async_call(script: Script, route: Route, message: Message, *, retry: RetryPolicy = FAST, **kw: Any) -> Book:
        async def run() -> Book:
            async with async_client(script, retry) as client:
                return await client._call(route, message, Book, **kw)

        return asyncio.run(run())

    return sync_call if request.param == "sync" else async_call


def build(
    route: Route, message: Message, idempotency_key: str | None = None, timeout: float | None = None
) -> httpx.Request:
    # A MockTransport client: building needs no connection (and skips creating an SSL context).
    with httpx.Client(transport=httpx.MockTransport(Script(ok_book())), base_url=BASE_URL) as http:
        return route.build(http, message, idempotency_key, timeout)


# --- 1. Route.build -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("book_id", "raw_path"),
    [
        ("b1", b"/api/v1/books/b1"),
        ("shelf/7 a", b"/api/v1/books/shelf%2F7%20a"),
        ("100%?#&=", b"/api/v1/books/100%25%3F%23%26%3D"),
        ("café", b"/api/v1/books/caf%C3%A9"),
    ],
)
def test_build_percent_encodes_the_path_value_whole(book_id: str, raw_path: bytes) -> None:
    request = build(GET_BOOK, GetBookRequest(id=book_id))

    assert request.method == "GET"
    assert request.url.raw_path == raw_path
    assert request.url.query == b""
    assert request.content == b""


def test_build_path_int64_is_its_decimal_text() -> None:
    request = build(GET_ORDER, GetOrderRequest(number=BIG))

    assert request.url.raw_path == f"/api/v1/orders/{BIG}".encode()


def test_build_body_uses_json_names_and_int64_strings() -> None:
    request = build(CREATE_BOOK, CreateBookRequest(title="Dune", author_name="Frank Herbert", page_count=BIG))

    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/api/v1/books"
    assert request.headers["content-type"] == "application/json"
    # Unset optional fields (None) are left out; 64-bit integers travel as strings (proto3 JSON).
    assert json.loads(request.content) == {"title": "Dune", "authorName": "Frank Herbert", "pageCount": str(BIG)}
    assert request.url.query == b""


def test_build_query_sends_listed_non_default_fields_in_proto3_json_form() -> None:
    message = ListBooksRequest(
        page_size=20,
        min_pages=BIG,
        colors=[Color.RED, Color.GREEN],
        color=Color.GREEN,
        in_print=True,
        with_covers=False,
        secret="do not send",
    )

    request = build(LIST_BOOKS, message)

    assert request.url.params.multi_items() == [
        ("pageSize", "20"),
        ("minPages", str(BIG)),
        ("colors", "RED"),
        ("colors", "GREEN"),
        ("color", "GREEN"),
        ("inPrint", "true"),
        ("withCovers", "false"),
    ]
    assert b"secret" not in request.url.query
    assert request.content == b""


def test_build_query_skips_defaults() -> None:
    request = build(LIST_BOOKS, ListBooksRequest(page_size=0, color=Color.COLOR_UNSPECIFIED, with_covers=True))

    assert request.url.params.multi_items() == []
    assert str(request.url) == f"{BASE_URL}/api/v1/books"


def test_build_query_sends_only_changed_fields() -> None:
    request = build(LIST_BOOKS, ListBooksRequest(colors=[Color.RED]))

    assert request.url.params.multi_items() == [("colors", "RED")]


def test_build_idempotency_key_only_on_idempotent_routes() -> None:
    plain = build(CREATE_BOOK, CreateBookRequest(title="x"), idempotency_key="ignored")
    generated = build(RESERVE_BOOK, CreateBookRequest(title="x"))
    other = build(RESERVE_BOOK, CreateBookRequest(title="x"))
    given = build(RESERVE_BOOK, CreateBookRequest(title="x"), idempotency_key="order-42")

    assert IDEMPOTENCY_KEY_HEADER not in plain.headers
    key = generated.headers[IDEMPOTENCY_KEY_HEADER]
    assert str(uuid.UUID(key)) == key
    assert other.headers[IDEMPOTENCY_KEY_HEADER] != key
    assert given.headers[IDEMPOTENCY_KEY_HEADER] == "order-42"


def test_build_timeout_goes_to_request_extensions() -> None:
    with_timeout = build(GET_BOOK, GetBookRequest(id="b1"), timeout=2.5)
    without = build(GET_BOOK, GetBookRequest(id="b1"))

    assert with_timeout.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert without.extensions["timeout"] == httpx.Timeout(5.0).as_dict()  # httpx.Client's own default


@pytest.mark.parametrize(
    ("route", "replayable"),
    [
        (GET_BOOK, True),
        (DELETE_BOOK, True),
        (Route("PUT", "/x", has_body=True), True),
        (CREATE_BOOK, False),
        (RESERVE_BOOK, True),
        (Route("PATCH", "/x", has_body=True), False),
    ],
)
def test_route_is_replayable(route: Route, replayable: bool) -> None:
    assert route.is_replayable is replayable


# --- 2. responses and typed errors ------------------------------------------------------------


def test_call_parses_the_response_model(call: Call) -> None:
    script = Script(httpx.Response(200, json={"id": "b1", "title": "Dune", "pageCount": str(BIG)}))

    book = call(script, CREATE_BOOK, CreateBookRequest(title="Dune", page_count=BIG))

    assert book == Book(id="b1", title="Dune", page_count=BIG)
    assert script.attempts == 1
    sent = script.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/api/v1/books")
    assert json.loads(sent.content) == {"title": "Dune", "pageCount": str(BIG)}  # unset defaults left out, as protobuf does


def test_call_per_call_timeout_reaches_the_transport(call: Call) -> None:
    script = Script(ok_book(id="b1"))

    call(script, GET_BOOK, GetBookRequest(id="b1"), timeout=0.75)

    assert script.requests[0].extensions["timeout"]["read"] == 0.75


def test_call_registered_code_raises_its_subclass(call: Call) -> None:
    script = Script(problem(422, "OUT_OF_STOCK", "no copies of 'Dune' left", retryable=False))

    with pytest.raises(OutOfStockError) as caught:
        call(script, CREATE_BOOK, CreateBookRequest(title="Dune"))

    error = caught.value
    assert isinstance(error, ApiError)
    assert (error.status, error.code, error.title) == (422, "OUT_OF_STOCK", "Domain rule violated")
    assert error.detail == "no copies of 'Dune' left"
    assert error.retryable is False
    assert error.retry_after is None
    assert error.body == {
        "type": "about:blank",
        "title": "Domain rule violated",
        "status": 422,
        "detail": "no copies of 'Dune' left",
        "code": "OUT_OF_STOCK",
        "retryable": False,
    }
    assert str(error) == "422 OUT_OF_STOCK: no copies of 'Dune' left"
    assert script.attempts == 1


def test_call_unknown_code_raises_plain_api_error(call: Call) -> None:
    script = Script(problem(409, "CONFLICT", "Book 'b1' was modified concurrently"))

    with pytest.raises(ApiError) as caught:
        call(script, CREATE_BOOK, CreateBookRequest())

    assert type(caught.value) is ApiError
    assert (caught.value.status, caught.value.code) == (409, "CONFLICT")
    assert caught.value.detail == "Book 'b1' was modified concurrently"


def test_call_html_error_from_a_proxy(call: Call) -> None:
    html = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
    script = Script(httpx.Response(503, text=html, headers={"content-type": "text/html"}))

    with pytest.raises(ApiError) as caught:
        call(script, CREATE_BOOK, CreateBookRequest(), retry=RetryPolicy(attempts=1))

    error = caught.value
    assert type(error) is ApiError
    assert (error.status, error.code) == (503, STATUS_CODES[503])
    assert error.detail == html
    assert error.title == "Service Unavailable"
    assert error.body == {}
    assert error.retryable is True  # 503: nothing was done


def test_call_invalid_request_raises_invalid_argument_error_with_each_field(call: Call) -> None:
    body = {
        "type": "about:blank",
        "title": "Invalid argument",
        "status": 400,
        "detail": "The request has 2 invalid field(s); see errors.",
        "code": "INVALID_ARGUMENT",
        "errors": [
            {"detail": "Input should be a valid integer", "pointer": "#/pageCount", "location": "body"},
            {"detail": "Input should be a valid integer", "parameter": "pageSize", "location": "query"},
        ],
    }
    script = Script(httpx.Response(400, json=body, headers={"content-type": "application/problem+json"}))

    with pytest.raises(InvalidArgumentError) as caught:
        call(script, CREATE_BOOK, CreateBookRequest())

    error = caught.value
    assert (error.status, error.code, error.retryable) == (400, "INVALID_ARGUMENT", False)
    assert error.errors == [
        FieldError(detail="Input should be a valid integer", pointer="#/pageCount"),
        FieldError(detail="Input should be a valid integer", parameter="pageSize", location="query"),
    ]
    assert script.attempts == 1


def test_call_fastapi_validation_error_is_invalid_argument(call: Call) -> None:
    detail = [{"type": "missing", "loc": ["body", "title"], "msg": "Field required", "input": {}}]
    script = Script(httpx.Response(422, json={"detail": detail}))

    with pytest.raises(ApiError) as caught:
        call(script, CREATE_BOOK, CreateBookRequest())

    error = caught.value
    assert type(error) is InvalidArgumentError  # a service of before problem+json 400s
    assert error.errors == []
    assert (error.status, error.code) == (422, "INVALID_ARGUMENT")
    assert "Field required" in error.detail
    assert error.body == {"detail": detail}
    assert error.retryable is False
    assert script.attempts == 1


def test_call_response_of_the_wrong_shape_raises_validation_error(call: Call) -> None:
    script = Script(httpx.Response(200, json={"id": "b1", "pageCount": "many"}))

    with pytest.raises(pydantic.ValidationError):
        call(script, GET_BOOK, GetBookRequest(id="b1"))
    assert script.attempts == 1


@pytest.mark.parametrize(
    ("response", "code", "retryable", "title", "detail"),
    [
        (httpx.Response(404, json={"detail": "Not Found"}), "NOT_FOUND", False, "Not Found", "Not Found"),
        (httpx.Response(429, text=""), "RESOURCE_EXHAUSTED", True, "Too Many Requests", ""),
        (
            httpx.Response(503, json={"code": "UNAVAILABLE", "retryable": False}),
            "UNAVAILABLE",
            False,
            "Service Unavailable",
            '{"code":"UNAVAILABLE","retryable":false}',
        ),
        (httpx.Response(502, text="Bad gateway"), "UNKNOWN", False, "Bad Gateway", "Bad gateway"),
        (
            httpx.Response(500, json=["not", "an", "object"]),
            "UNKNOWN",
            False,
            "Internal Server Error",
            '["not","an","object"]',
        ),
        (httpx.Response(400, json={"code": "BAD", "title": "Bad thing", "detail": 7}), "BAD", False, "Bad thing", "7"),
    ],
)
def test_error_from_response_fallbacks(
    response: httpx.Response, code: str, retryable: bool, title: str, detail: str
) -> None:
    error = error_from_response(response, ERRORS)

    assert type(error) is ApiError
    assert error.status == response.status_code
    assert (error.code, error.retryable, error.title, error.detail) == (code, retryable, title, detail)


def test_error_from_response_malformed_retry_after_still_gives_the_error() -> None:
    response = problem(503, "OUT_OF_STOCK", "busy", headers={"Retry-After": "soon"})

    error = error_from_response(response, ERRORS)

    assert isinstance(error, OutOfStockError)
    assert error.retry_after is None
    assert error.retryable is True


# --- 3. retries ---------------------------------------------------------------------------------


def test_retryable_domain_error_is_retried_until_success(call: Call) -> None:
    busy = problem(422, "OUT_OF_STOCK", "restocking", retryable=True)
    script = Script(busy, busy, ok_book(id="b1"))

    book = call(script, CREATE_BOOK, CreateBookRequest(title="Dune"))

    assert book.id == "b1"
    assert script.attempts == 3


def test_retryable_error_gives_up_after_the_attempts(call: Call) -> None:
    script = Script(problem(422, "OUT_OF_STOCK", "restocking", retryable=True))

    with pytest.raises(OutOfStockError):
        call(script, CREATE_BOOK, CreateBookRequest(), retry=RetryPolicy(attempts=4, initial_backoff=0, max_backoff=0))
    assert script.attempts == 4


def test_non_retryable_error_is_not_retried(call: Call) -> None:
    script = Script(problem(422, "OUT_OF_STOCK", "gone", retryable=False), ok_book(id="b1"))

    with pytest.raises(OutOfStockError):
        call(script, GET_BOOK, GetBookRequest(id="b1"))
    assert script.attempts == 1


@pytest.mark.parametrize("attempts", [1, 0])
def test_one_attempt_disables_retries(call: Call, attempts: int) -> None:
    script = Script(problem(422, "OUT_OF_STOCK", "restocking", retryable=True), ok_book(id="b1"))

    with pytest.raises(OutOfStockError):
        call(script, GET_BOOK, GetBookRequest(id="b1"), retry=RetryPolicy(attempts=attempts))
    assert script.attempts == 1


def test_503_with_retry_after_zero_is_retried(call: Call) -> None:
    script = Script(httpx.Response(503, text="busy", headers={"Retry-After": "0"}), ok_book(id="b1"))

    book = call(script, CREATE_BOOK, CreateBookRequest())  # a POST: 503 means nothing was done

    assert book.id == "b1"
    assert script.attempts == 2


def test_retry_after_beyond_the_limit_is_not_waited_for(call: Call) -> None:
    script = Script(httpx.Response(503, text="maintenance", headers={"Retry-After": "120"}), ok_book(id="b1"))

    with pytest.raises(ApiError) as caught:
        call(script, GET_BOOK, GetBookRequest(id="b1"), retry=RetryPolicy(max_retry_after=30))

    assert caught.value.retry_after == 120.0
    assert caught.value.code == "UNAVAILABLE"
    assert script.attempts == 1


def test_connect_error_is_retried_even_for_post(call: Call) -> None:
    script = Script(httpx.ConnectError, httpx.ConnectTimeout, ok_book(id="b1"))

    book = call(script, CREATE_BOOK, CreateBookRequest())

    assert book.id == "b1"
    assert script.attempts == 3


def test_connect_error_gives_up_after_the_attempts(call: Call) -> None:
    script = Script(httpx.ConnectError)

    with pytest.raises(httpx.ConnectError):
        call(script, CREATE_BOOK, CreateBookRequest())
    assert script.attempts == 3


def test_read_timeout_is_retried_for_get(call: Call) -> None:
    script = Script(httpx.ReadTimeout, ok_book(id="b1"))

    assert call(script, GET_BOOK, GetBookRequest(id="b1")).id == "b1"
    assert script.attempts == 2


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_cut_request_is_not_retried_for_a_plain_post(call: Call, failure: type[httpx.TransportError]) -> None:
    script = Script(failure, ok_book(id="b1"))

    with pytest.raises(failure):
        call(script, CREATE_BOOK, CreateBookRequest())
    assert script.attempts == 1


def test_idempotent_route_is_retried_with_the_same_key(call: Call) -> None:
    script = Script(httpx.ReadTimeout, httpx.RemoteProtocolError, ok_book(id="b1"))

    book = call(script, RESERVE_BOOK, CreateBookRequest(title="Dune"))

    assert book.id == "b1"
    assert script.attempts == 3
    keys = {request.headers[IDEMPOTENCY_KEY_HEADER] for request in script.requests}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop())
    assert {request.content for request in script.requests} == {script.requests[0].content}


def test_given_idempotency_key_is_sent_on_every_retry(call: Call) -> None:
    script = Script(httpx.ReadTimeout, ok_book(id="b1"))

    call(script, RESERVE_BOOK, CreateBookRequest(), idempotency_key="order-42")

    assert [request.headers[IDEMPOTENCY_KEY_HEADER] for request in script.requests] == ["order-42", "order-42"]


def test_each_call_gets_its_own_idempotency_key() -> None:
    script = Script(ok_book(id="b1"))

    with sync_client(script) as client:
        client._call(RESERVE_BOOK, CreateBookRequest(), Book)
        client._call(RESERVE_BOOK, CreateBookRequest(), Book)

    first, second = (request.headers[IDEMPOTENCY_KEY_HEADER] for request in script.requests)
    assert first != second


@pytest.mark.parametrize("status", [502, 504])
@pytest.mark.parametrize(
    ("route", "message", "retried"),
    [
        (GET_BOOK, GetBookRequest(id="b1"), True),
        (DELETE_BOOK, GetBookRequest(id="b1"), True),
        (RESERVE_BOOK, CreateBookRequest(), True),
        (CREATE_BOOK, CreateBookRequest(), False),
    ],
)
def test_gateway_errors_are_retried_only_for_replayable_routes(
    call: Call, status: int, route: Route, message: Message, retried: bool
) -> None:
    script = Script(httpx.Response(status, text="upstream trouble"), ok_book(id="b1"))

    if retried:
        assert call(script, route, message).id == "b1"
        assert script.attempts == 2
    else:
        with pytest.raises(ApiError) as caught:
            call(script, route, message)
        assert caught.value.status == status
        assert script.attempts == 1


def test_500_is_not_retried_even_for_get(call: Call) -> None:
    script = Script(problem(500, "INTERNAL", "boom"), ok_book(id="b1"))

    with pytest.raises(ApiError):
        call(script, GET_BOOK, GetBookRequest(id="b1"))
    assert script.attempts == 1


def api_error(status: int, *, retryable: bool = False, retry_after: float | None = None) -> ApiError:
    return ApiError(status, "X", "d", retryable=retryable, retry_after=retry_after)


REQUEST = httpx.Request("GET", BASE_URL)


@pytest.mark.parametrize(
    ("exc", "replayable", "expected"),
    [
        (api_error(422, retryable=True), False, True),
        (api_error(503, retryable=True, retry_after=30.0), False, True),
        (api_error(503, retryable=True, retry_after=30.5), True, False),
        (api_error(422), True, False),
        (api_error(502), True, True),
        (api_error(502), False, False),
        (api_error(504), True, True),
        (api_error(500), True, False),
        (httpx.ConnectError("x", request=REQUEST), False, True),
        (httpx.ConnectTimeout("x", request=REQUEST), False, True),
        (httpx.ReadTimeout("x", request=REQUEST), False, False),
        (httpx.ReadTimeout("x", request=REQUEST), True, True),
        (httpx.WriteError("x", request=REQUEST), True, True),
        (ValueError("bad json"), True, False),
    ],
)
def test_is_retryable(exc: BaseException, replayable: bool, expected: bool) -> None:
    assert RetryPolicy().is_retryable(exc, replayable) is expected


def retry_state(exc: BaseException, attempt: int = 1) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(retry_object=tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_wait_prefers_retry_after() -> None:
    policy = RetryPolicy(initial_backoff=10, max_backoff=10)

    assert policy.wait(retry_state(api_error(503, retryable=True, retry_after=4.0))) == 4.0
    assert policy.wait(retry_state(api_error(503, retryable=True, retry_after=0.0))) == 0.0


def test_wait_backs_off_exponentially_within_bounds() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=3.0)
    error = httpx.ConnectError("x", request=REQUEST)

    assert 0.0 <= policy.wait(retry_state(error, attempt=1)) <= 1.0
    assert all(0.0 <= policy.wait(retry_state(error, attempt=8)) <= 3.0 for _ in range(20))
    assert RetryPolicy(initial_backoff=0, max_backoff=0).wait(retry_state(error, attempt=3)) == 0.0


def retry_after_header(value: str) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("7", 7.0), (" 12 ", 12.0), ("soon", None), ("1.5", None), ("-3", None), ("", None)],
)
def test_retry_after_delay_seconds(value: str, expected: float | None) -> None:
    assert _retry_after(retry_after_header(value)) == expected


def test_retry_after_absent() -> None:
    assert _retry_after(httpx.Response(503)) is None


def test_retry_after_http_date() -> None:
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120)
    past = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.UTC)

    seconds = _retry_after(retry_after_header(email.utils.format_datetime(future, usegmt=True)))

    assert seconds is not None
    assert 60.0 < seconds <= 120.0
    assert _retry_after(retry_after_header("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    assert _retry_after(retry_after_header(email.utils.format_datetime(past, usegmt=True))) == 0.0


# --- 4. streams ---------------------------------------------------------------------------------

STREAM_BODY = (
    b'{"id":"a","title":"Dune","pageCount":"' + str(BIG).encode() + b'"}\n'
    b"\n"
    b'{"id":"b"}\n'
    b"   \n"
    b'{"id":"c","page_count":3}'  # last line without a newline; proto field name accepted too
)
STREAMED = [Book(id="a", title="Dune", page_count=BIG), Book(id="b"), Book(id="c", page_count=3)]


def test_stream_yields_each_line_as_a_model() -> None:
    script = Script(httpx.Response(200, content=STREAM_BODY, headers=NDJSON))

    with sync_client(script) as client:
        books = list(client._stream(WATCH_BOOKS, WatchRequest(shelf="sf"), Book, timeout=1.5))

    assert books == STREAMED
    assert json.loads(script.requests[0].content) == {"shelf": "sf"}
    assert script.requests[0].extensions["timeout"]["read"] == 1.5


def test_stream_is_lazy_and_yields_as_it_reads() -> None:
    script = Script(httpx.Response(200, content=STREAM_BODY, headers=NDJSON))

    with sync_client(script) as client:
        stream = client._stream(WATCH_BOOKS, WatchRequest(), Book)
        assert script.attempts == 0  # a generator: nothing is sent before the first next()
        assert next(stream) == STREAMED[0]
        assert script.attempts == 1
        assert list(stream) == STREAMED[1:]


def test_stream_empty_body_yields_nothing() -> None:
    script = Script(httpx.Response(200, content=b"", headers=NDJSON))

    with sync_client(script) as client:
        assert list(client._stream(WATCH_BOOKS, WatchRequest(), Book)) == []


@pytest.mark.parametrize(
    ("answer", "error_type", "code"),
    [
        (problem(404, "NOT_FOUND", "Shelf 'x' not found"), ApiError, "NOT_FOUND"),
        (problem(422, "SHELF_LOCKED", "locked"), ShelfLockedError, "SHELF_LOCKED"),
    ],
)
def test_stream_error_status_raises_typed_error(answer: httpx.Response, error_type: type[ApiError], code: str) -> None:
    script = Script(answer)

    with sync_client(script) as client, pytest.raises(error_type) as caught:
        list(client._stream(WATCH_BOOKS, WatchRequest(shelf="x"), Book))

    assert type(caught.value) is error_type
    assert caught.value.code == code
    assert caught.value.detail == json.loads(answer.content)["detail"]
    assert script.attempts == 1


def test_stream_opening_is_retried() -> None:
    script = Script(
        httpx.Response(503, text="busy", headers={"Retry-After": "0"}),
        httpx.Response(200, content=STREAM_BODY, headers=NDJSON),
    )

    with sync_client(script) as client:
        assert list(client._stream(WATCH_BOOKS, WatchRequest(), Book)) == STREAMED
    assert script.attempts == 2


@pytest.mark.anyio
async def test_async_stream_yields_each_line_as_a_model() -> None:
    script = Script(httpx.Response(200, content=STREAM_BODY, headers=NDJSON))

    async with async_client(script) as client:
        books = [book async for book in client._stream(WATCH_BOOKS, WatchRequest(shelf="sf"), Book)]

    assert books == STREAMED
    assert json.loads(script.requests[0].content) == {"shelf": "sf"}


@pytest.mark.anyio
async def test_async_stream_error_status_raises_typed_error() -> None:
    script = Script(problem(422, "SHELF_LOCKED", "locked", retryable=False))

    async with async_client(script) as client:
        with pytest.raises(ShelfLockedError) as caught:
            [book async for book in client._stream(WATCH_BOOKS, WatchRequest(), Book)]

    assert (caught.value.status, caught.value.detail) == (422, "locked")
    assert script.attempts == 1


@pytest.mark.anyio
async def test_async_stream_opening_is_retried() -> None:
    script = Script(httpx.ConnectError, httpx.Response(200, content=STREAM_BODY, headers=NDJSON))

    async with async_client(script) as client:
        books = [book async for book in client._stream(WATCH_BOOKS, WatchRequest(), Book)]

    assert books == STREAMED
    assert script.attempts == 2


# --- 5. integration: the runtime's own FastAPI glue on the other side ---------------------------


class ShelfLocked(DomainError):
    code = "SHELF_LOCKED"
    retryable = True


SHELVES = {
    "sf": [Book(id="dune", title="Dune", page_count=BIG), Book(id="solaris", title="Solaris", page_count=204)],
    "empty": [],
}


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    books = {book.id: book for shelf in SHELVES.values() for book in shelf} | {"b 1": Book(id="b 1", title="Spaced")}
    reservations: dict[str, int] = {}
    app.state.reservations = reservations

    @app.get("/api/v1/books/{id}")
    async def get_book(id: str) -> Book:
        if id not in books:
            raise NotFoundError(f"Book {id!r} not found")
        return books[id]

    @app.post("/api/v1/books")
    async def create_book(body: CreateBookRequest) -> Book:
        return Book(id="new", title=body.title, page_count=body.page_count)

    @app.post("/api/v1/books/reserve")
    async def reserve_book(body: CreateBookRequest, request: Request) -> Book:
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER, "")
        reservations[key] = reservations.get(key, 0) + 1
        if reservations[key] == 1:
            raise ShelfLocked("shelf busy, try again")
        return Book(id="reserved", title=body.title)

    @app.post("/api/v1/shelves/lock")
    async def lock_shelf(body: WatchRequest) -> Book:
        raise ShelfLocked(f"shelf {body.shelf!r} is locked")

    @app.post("/api/v1/books/watch")
    async def watch_books(body: WatchRequest) -> StreamingResponse:
        async def books_on_shelf() -> AsyncIterator[Book]:
            if body.shelf not in SHELVES:
                raise NotFoundError(f"Shelf {body.shelf!r} not found")
            for book in SHELVES[body.shelf]:
                yield book

        return await ndjson_response(books_on_shelf())

    return app


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return build_app()


@pytest.fixture(scope="module")
def server_url(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def live(server_url: str) -> Iterator[BookClient]:
    with BookClient(server_url, retry=FAST, timeout=5.0) as client:
        yield client


def test_live_success_with_int64_round_trip(live: BookClient) -> None:
    book = live._call(CREATE_BOOK, CreateBookRequest(title="Dune", author_name="F. H.", page_count=BIG), Book)

    assert book == Book(id="new", title="Dune", page_count=BIG)


def test_live_path_value_with_a_space(live: BookClient) -> None:
    assert live._call(GET_BOOK, GetBookRequest(id="b 1"), Book).title == "Spaced"


def test_live_not_found(live: BookClient) -> None:
    with pytest.raises(ApiError) as caught:
        live._call(GET_BOOK, GetBookRequest(id="missing"), Book)

    error = caught.value
    assert type(error) is ApiError
    assert (error.status, error.code, error.title) == (404, "NOT_FOUND", "Not found")
    assert error.detail == "Book 'missing' not found"
    assert error.body["type"] == "about:blank"


def test_live_unknown_route_is_not_found(live: BookClient) -> None:
    with pytest.raises(ApiError) as caught:
        live._call(Route("GET", "/api/v1/nowhere"), GetBookRequest(), Book)

    assert (caught.value.status, caught.value.code, caught.value.detail) == (404, "NOT_FOUND", "Not Found")


def test_live_validation_error_is_invalid_argument(live: BookClient) -> None:
    class MalformedCreate(Message):
        pageCount: str = "many"  # the JSON name itself, and not an integer

    with pytest.raises(ApiError) as caught:
        live._call(CREATE_BOOK, MalformedCreate(pageCount="many"), Book)

    error = caught.value
    assert type(error) is InvalidArgumentError
    assert (error.status, error.code) == (400, "INVALID_ARGUMENT")
    assert error.errors == [FieldError(detail=error.errors[0].detail, pointer="#/pageCount")]
    assert error.retryable is False


def test_live_domain_error_is_the_typed_subclass(server_url: str) -> None:
    with BookClient(server_url, retry=RetryPolicy(attempts=1)) as client, pytest.raises(ShelfLockedError) as caught:
        client._call(LOCK_SHELF, WatchRequest(shelf="sf"), Book)

    error = caught.value
    assert (error.status, error.code, error.title) == (422, "SHELF_LOCKED", "Domain rule violated")
    assert error.detail == "shelf 'sf' is locked"
    assert error.retryable is True


def test_live_retryable_domain_error_is_retried_with_the_same_key(live: BookClient, app: FastAPI) -> None:
    book = live._call(RESERVE_BOOK, CreateBookRequest(title="Dune"), Book, idempotency_key="live-1")

    assert book == Book(id="reserved", title="Dune")
    assert app.state.reservations["live-1"] == 2


def test_live_stream(live: BookClient) -> None:
    assert list(live._stream(WATCH_BOOKS, WatchRequest(shelf="sf"), Book)) == SHELVES["sf"]
    assert list(live._stream(WATCH_BOOKS, WatchRequest(shelf="empty"), Book)) == []


def test_live_stream_error_before_the_first_message(live: BookClient) -> None:
    with pytest.raises(ApiError) as caught:
        list(live._stream(WATCH_BOOKS, WatchRequest(shelf="nowhere"), Book))

    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")
    assert caught.value.detail == "Shelf 'nowhere' not found"


def test_live_connection_refused_raises_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: every attempt is refused, then the error surfaces.
    with BookClient(f"http://127.0.0.1:{port}", retry=FAST) as client, pytest.raises(httpx.ConnectError):
        client._call(GET_BOOK, GetBookRequest(id="b1"), Book)


@pytest.mark.anyio
async def test_asgi_async_client_end_to_end() -> None:
    app = build_app()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)

    async with http, AsyncBookClient(http_client=http, retry=FAST) as client:
        created = await client._call(CREATE_BOOK, CreateBookRequest(title="Dune", page_count=BIG), Book)
        reserved = await client._call(RESERVE_BOOK, CreateBookRequest(title="Solaris"), Book)
        streamed = [book async for book in client._stream(WATCH_BOOKS, WatchRequest(shelf="sf"), Book)]
        with pytest.raises(ApiError) as missing:
            await client._call(GET_BOOK, GetBookRequest(id="missing"), Book)
        with pytest.raises(ApiError) as missing_shelf:
            [book async for book in client._stream(WATCH_BOOKS, WatchRequest(shelf="nowhere"), Book)]
        client.retry = RetryPolicy(attempts=1)
        with pytest.raises(ShelfLockedError) as locked:
            await client._call(LOCK_SHELF, WatchRequest(shelf="sf"), Book)

    assert created == Book(id="new", title="Dune", page_count=BIG)
    assert reserved == Book(id="reserved", title="Solaris")
    assert list(app.state.reservations.values()) == [2]  # one key, sent twice
    assert streamed == SHELVES["sf"]
    assert (missing.value.status, missing.value.code) == (404, "NOT_FOUND")
    assert missing_shelf.value.detail == "Shelf 'nowhere' not found"
    assert (locked.value.code, locked.value.retryable) == ("SHELF_LOCKED", True)


# --- 6. no server framework on import -----------------------------------------------------------


def test_importing_the_client_does_not_import_server_frameworks() -> None:
    code = (
        "import sys, potter_runtime.client, potter_runtime\n"
        "potter_runtime.Client, potter_runtime.ApiError, potter_runtime.RetryPolicy\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'sqlalchemy', 'uvicorn') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- 7. lifecycle -------------------------------------------------------------------------------


def test_client_closes_the_httpx_client_it_created() -> None:
    with BookClient("http://books.test:8080", timeout=2.0) as client:
        http = client._http
        assert str(http.base_url) == "http://books.test:8080"
        assert http.timeout == httpx.Timeout(2.0)
        assert not http.is_closed
    assert http.is_closed


def test_client_leaves_a_passed_in_httpx_client_open() -> None:
    with httpx.Client(transport=httpx.MockTransport(Script(ok_book(id="b1"))), base_url=BASE_URL) as http:
        with BookClient(http_client=http) as client:
            assert client._http is http
        assert not http.is_closed
        assert http.get("/anything").status_code == 200
    assert http.is_closed


def test_client_headers_are_sent_with_every_request() -> None:
    script = Script(ok_book(id="b1"))

    with sync_client(script, headers={"Authorization": "Bearer t0ken"}) as client:
        client._call(GET_BOOK, GetBookRequest(id="b1"), Book)
        client._call(CREATE_BOOK, CreateBookRequest(), Book)

    assert [request.headers["authorization"] for request in script.requests] == ["Bearer t0ken"] * 2


def test_client_default_retry_policy() -> None:
    with BookClient() as client:
        assert client.retry == RetryPolicy()
        assert str(client._http.base_url) == "http://127.0.0.1:8000"


@pytest.mark.anyio
async def test_async_client_closes_the_httpx_client_it_created() -> None:
    async with AsyncBookClient("http://books.test:8080", timeout=2.0) as client:
        http = client._http
        assert str(http.base_url) == "http://books.test:8080"
        assert http.timeout == httpx.Timeout(2.0)
        assert not http.is_closed
    assert http.is_closed


@pytest.mark.anyio
async def test_async_client_leaves_a_passed_in_httpx_client_open() -> None:
    script = Script(ok_book(id="b1"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(script), base_url=BASE_URL) as http:
        async with AsyncBookClient(http_client=http, headers={"X-Trace": "1"}) as client:
            await client._call(GET_BOOK, GetBookRequest(id="b1"), Book)
        assert not http.is_closed
        assert (await http.get("/anything")).status_code == 200
    assert http.is_closed
    assert script.requests[0].headers["x-trace"] == "1"
