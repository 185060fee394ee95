"""potter_runtime.breaker through the SDK clients: a circuit per client and host, opened by failures.

The scripted `httpx.MockTransport` of test_client.py counts the requests that
reached the "network"; one test runs against a real local HTTP server. The
half-open tests use a reset timeout of a few milliseconds and sleep past it;
nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from potter_runtime.breaker import CircuitBreakers, CircuitBreakerSettings, circuit_name
from potter_runtime.client import ApiError, CircuitOpenError, RetryPolicy, is_host_failure
from tests.runtime.test_client import (
    CREATE_BOOK,
    GET_BOOK,
    AsyncBookClient,
    Book,
    BookClient,
    GetBookRequest,
    Script,
    async_client,
    ok_book,
    problem,
    sync_client,
)

ONCE = RetryPolicy(attempts=1)
SHORT = 0.02  # seconds a circuit stays open in the half-open tests


Outcome = Book | BaseException
Calls = Callable[..., list[Outcome]]


@pytest.fixture(params=["sync", "async"])
def calls(request: pytest.FixtureRequest) -> Calls:
    """`calls(script, n, settings, retry=ONCE, pause=0)`: n GET calls on one client; each result or error, in order."""

    def sync_calls(
        script: Script, n: int, settings: CircuitBreakerSettings | None, retry: RetryPolicy = ONCE, pause: float = 0
    ) -> list[Outcome]:
        results: list[Outcome] = []
        with sync_client(script, retry, circuit_breaker=settings) as client:
            for _ in range(n):
                try:
                    results.append(client._call(GET_BOOK, GetBookRequest(id="b1"), Book))
                except (ApiError, httpx.HTTPError) as exc:
                    results.append(exc)
                time.sleep(pause)
        return results

    def async_calls(
        script: Script, n: int, settings: CircuitBreakerSettings | None, retry: RetryPolicy = ONCE, pause: float = 0
    ) -> list[Outcome]:
        async def run() -> list[Outcome]:
            results: list[Outcome] = []
            async with async_client(script, retry, circuit_breaker=settings) as client:
                for _ in range(n):
                    try:
                        results.append(await client._call(GET_BOOK, GetBookRequest(id="b1"), Book))
                    except (ApiError, httpx.HTTPError) as exc:
                        results.append(exc)
                    await asyncio.sleep(pause)
            return results

        return asyncio.run(run())

    return sync_calls if request.param == "sync" else async_calls


def kinds(results: list[Outcome]) -> list[str]:
    """Name each outcome: "ok", "open", an error's code, or a transport error's class."""
    names = []
    for result in results:
        if isinstance(result, Book):
            names.append("ok")
        elif isinstance(result, CircuitOpenError):
            names.append("open")
        elif isinstance(result, ApiError):
            names.append(result.code)
        else:
            names.append(type(result).__name__)
    return names


def test_opens_after_threshold_consecutive_5xx_and_fails_fast(calls: Calls) -> None:
    script = Script(problem(500, "INTERNAL"))
    results = calls(script, 5, CircuitBreakerSettings(failure_threshold=3, reset_timeout=60))
    assert kinds(results) == ["INTERNAL", "INTERNAL", "INTERNAL", "open", "open"]
    assert script.attempts == 3  # the open circuit sent nothing
    error = results[-1]
    assert isinstance(error, CircuitOpenError) and isinstance(error, ApiError)
    assert (error.status, error.code, error.retryable, error.host) == (503, "UNAVAILABLE", True, "http://books.test")
    assert error.retry_after is not None and 0 < error.retry_after <= 60


def test_transport_errors_and_429_count_as_failures(calls: Calls) -> None:
    script = Script(httpx.ConnectError, problem(429, "RESOURCE_EXHAUSTED"), httpx.ReadTimeout, ok_book())
    results = calls(script, 4, CircuitBreakerSettings(failure_threshold=3, reset_timeout=60))
    assert kinds(results) == ["ConnectError", "RESOURCE_EXHAUSTED", "ReadTimeout", "open"]
    assert script.attempts == 3


def test_4xx_domain_answers_never_open_the_circuit(calls: Calls) -> None:
    script = Script(problem(404, "NOT_FOUND"), problem(409, "OUT_OF_STOCK"), problem(400, "INVALID_ARGUMENT"))
    results = calls(script, 6, CircuitBreakerSettings(failure_threshold=2, reset_timeout=60))
    assert kinds(results) == ["NOT_FOUND", "OUT_OF_STOCK"] + ["INVALID_ARGUMENT"] * 4
    assert script.attempts == 6


def test_only_consecutive_failures_count(calls: Calls) -> None:
    # A success (or a 4xx answer) between failures starts the count again.
    script = Script(
        problem(503, "UNAVAILABLE"), ok_book(), problem(503, "UNAVAILABLE"), problem(404, "NOT_FOUND"), problem(502, "X")
    )
    results = calls(script, 6, CircuitBreakerSettings(failure_threshold=2, reset_timeout=60))
    assert kinds(results) == ["UNAVAILABLE", "ok", "UNAVAILABLE", "NOT_FOUND", "X", "X"]
    assert script.attempts == 6


def test_half_opens_after_the_reset_timeout_and_a_success_closes_it(calls: Calls) -> None:
    script = Script(problem(500, "INTERNAL"), problem(500, "INTERNAL"), ok_book(id="b1"), problem(500, "INTERNAL"))
    # Two failures open it; after the pause the next attempt goes through and closes it;
    # the repeated 500 then needs two failures again to open it.
    results = calls(script, 5, CircuitBreakerSettings(failure_threshold=2, reset_timeout=SHORT), pause=3 * SHORT)
    assert kinds(results) == ["INTERNAL", "INTERNAL", "ok", "INTERNAL", "INTERNAL"]
    assert script.attempts == 5


def test_a_failure_while_half_open_reopens_at_once() -> None:
    script = Script(problem(500, "INTERNAL"))
    with sync_client(script, ONCE, circuit_breaker=CircuitBreakerSettings(failure_threshold=3, reset_timeout=SHORT)) as c:
        outcomes = []
        for _ in range(3):
            with pytest.raises(ApiError) as caught:
                c._call(GET_BOOK, GetBookRequest(id="b1"), Book)
            outcomes.append(caught.value.code)
        assert c.breakers is not None and c.breakers.state(httpx.URL("http://books.test/")) == "opened"
        time.sleep(3 * SHORT)
        with pytest.raises(ApiError) as probe:  # half-open: this one is sent, fails, and reopens
            c._call(GET_BOOK, GetBookRequest(id="b1"), Book)
        with pytest.raises(CircuitOpenError):  # one failure was enough, not three
            c._call(GET_BOOK, GetBookRequest(id="b1"), Book)
    assert outcomes == ["INTERNAL"] * 3 and probe.value.code == "INTERNAL"
    assert script.attempts == 3 + 1


def test_the_client_retries_stop_at_an_open_circuit(calls: Calls) -> None:
    script = Script(problem(503, "UNAVAILABLE"))
    retry = RetryPolicy(attempts=10, initial_backoff=0, max_backoff=0)
    results = calls(script, 1, CircuitBreakerSettings(failure_threshold=2, reset_timeout=60), retry=retry)
    assert kinds(results) == ["open"]
    assert script.attempts == 2


def test_none_disables_the_breaker(calls: Calls) -> None:
    script = Script(problem(500, "INTERNAL"))
    results = calls(script, 8, None)
    assert kinds(results) == ["INTERNAL"] * 8
    assert script.attempts == 8


def test_default_settings_open_after_five_failures(calls: Calls) -> None:
    script = Script(httpx.ConnectError)
    results = calls(script, 6, CircuitBreakerSettings())
    assert kinds(results) == ["ConnectError"] * 5 + ["open"]


def test_each_client_instance_has_its_own_circuits() -> None:
    failing = Script(problem(500, "INTERNAL"))
    settings = CircuitBreakerSettings(failure_threshold=1, reset_timeout=60)
    with sync_client(failing, ONCE, circuit_breaker=settings) as first, sync_client(
        Script(ok_book(id="b1")), ONCE, circuit_breaker=settings
    ) as second:
        with pytest.raises(ApiError):
            first._call(GET_BOOK, GetBookRequest(id="b1"), Book)
        with pytest.raises(CircuitOpenError):
            first._call(GET_BOOK, GetBookRequest(id="b1"), Book)
        assert second._call(GET_BOOK, GetBookRequest(id="b1"), Book).id == "b1"


def test_circuits_are_per_host() -> None:
    breakers = CircuitBreakers(
        CircuitBreakerSettings(failure_threshold=1, reset_timeout=60), is_failure=is_host_failure, open_error=CircuitOpenError
    )
    down, up = httpx.URL("http://down.test:8000/api/v1/books"), httpx.URL("http://up.test:8000/api/v1/books")
    with pytest.raises(httpx.ConnectError), breakers.guard(down):
        raise httpx.ConnectError("refused")
    with pytest.raises(CircuitOpenError) as caught, breakers.guard(down.copy_with(path="/other")):
        pytest.fail("an open circuit must not run the attempt")
    with breakers.guard(up):
        pass
    assert caught.value.host == "http://down.test:8000"
    assert (breakers.state(down), breakers.state(up)) == ("opened", "closed")


def test_circuit_name_is_scheme_host_and_port() -> None:
    assert circuit_name(httpx.URL("https://api.example.com/v1/x?y=1")) == "https://api.example.com"
    assert circuit_name(httpx.URL("http://127.0.0.1:8000/books")) == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("x"), True),
        (httpx.ReadError("x"), True),
        (ApiError(500, "INTERNAL", "x"), True),
        (ApiError(503, "UNAVAILABLE", "x"), True),
        (ApiError(429, "RESOURCE_EXHAUSTED", "x"), True),
        (ApiError(404, "NOT_FOUND", "x"), False),
        (ApiError(409, "OUT_OF_STOCK", "x"), False),
        (CircuitOpenError("http://a", 1.0), False),
        (ValueError("bad answer body"), False),
    ],
)
def test_is_host_failure(exc: BaseException, expected: bool) -> None:
    assert is_host_failure(exc) is expected


def test_circuit_open_error_is_never_retried_by_the_policy() -> None:
    assert RetryPolicy().is_retryable(CircuitOpenError("http://a", 0.0), replayable=True) is False


@pytest.mark.parametrize("settings", [{"failure_threshold": 0}, {"reset_timeout": 0}, {"reset_timeout": -1.0}])
def test_settings_are_checked(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="failure_threshold|reset_timeout"):
        CircuitBreakerSettings(**settings)


# --- a real HTTP server -------------------------------------------------------------------------


class _Unavailable(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"type":"about:blank","title":"Down","status":503,"detail":"maintenance","code":"UNAVAILABLE"}'
        self.send_response(503)
        self.send_header("content-type", "application/problem+json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        """Keep the test output quiet."""


@pytest.fixture
def unavailable_url() -> Iterator[str]:
    """Serve 503 problem+json on a free local port, counting requests in `_Unavailable.hits`."""
    _Unavailable.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_real_server_sync_client_stops_calling_a_failing_host(unavailable_url: str) -> None:
    settings = CircuitBreakerSettings(failure_threshold=4, reset_timeout=60)
    retry = RetryPolicy(attempts=3, initial_backoff=0, max_backoff=0)
    with BookClient(unavailable_url, retry=retry, circuit_breaker=settings) as client:
        with pytest.raises(ApiError) as first:  # 3 attempts, all 503
            client._call(CREATE_BOOK, Book(title="t"), Book)
        with pytest.raises(CircuitOpenError):  # the 4th attempt fails, the 5th is not sent
            client._call(CREATE_BOOK, Book(title="t"), Book)
        with pytest.raises(CircuitOpenError):
            client._call(CREATE_BOOK, Book(title="t"), Book)
    assert first.value.code == "UNAVAILABLE" and not isinstance(first.value, CircuitOpenError)
    assert _Unavailable.hits == 4


def test_real_server_async_client_stops_calling_a_failing_host(unavailable_url: str) -> None:
    async def run() -> list[str]:
        settings = CircuitBreakerSettings(failure_threshold=2, reset_timeout=60)
        async with AsyncBookClient(unavailable_url, retry=ONCE, circuit_breaker=settings) as client:
            codes = []
            for _ in range(4):
                try:
                    await client._call(CREATE_BOOK, Book(title="t"), Book)
                except ApiError as exc:
                    codes.append("open" if isinstance(exc, CircuitOpenError) else exc.code)
            return codes

    assert asyncio.run(run()) == ["UNAVAILABLE", "UNAVAILABLE", "open", "open"]
    assert _Unavailable.hits == 2
