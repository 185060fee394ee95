"""HTTP plumbing of the typed client SDKs potter-gen generates.

A generated SDK declares one `Route` per RPC and subclasses `Client` (httpx
sync) and `AsyncClient` (httpx async); this module turns a request message
into an HTTP request, a response into a typed message, a problem+json answer
into a typed `ApiError`, and retries what is safe to retry (tenacity).
This module must not know any particular service, nor import a server framework.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote

import httpx
import tenacity
from pydantic import BaseModel

from potter_runtime.breaker import AsyncCircuitBreakers, CircuitBreakers, CircuitBreakerSettings
from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS
from potter_runtime.operations.polling import AsyncOperationPolling, OperationPolling

ResponseT = TypeVar("ResponseT", bound=BaseModel)

#: Default code per HTTP status when the answer carries none (google.rpc.Code names).
STATUS_CODES: Mapping[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
#: HTTP methods that may be sent twice with the effect of once (RFC 9110, section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class FieldError:
    """One invalid part of a request, from a 400 answer's ``errors`` member.

    Attributes:
        detail: what is wrong with the value (str).
        pointer: for a body field, a JSON Pointer (RFC 6901) in URI fragment
            form, e.g. ``"#/copies"``; None for a parameter.
        parameter: for a path or query parameter, its name; else None.
        location: ``"body"``, ``"path"``, ``"query"``, ``"header"`` or ``"cookie"``.
    """

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    location: str = "body"


def _field_errors(body: Mapping[str, Any]) -> list[FieldError]:
    """Read the ``errors`` member of a problem+json body; entries that are not objects are skipped."""
    entries = body.get("errors")
    if not isinstance(entries, list):
        return []
    return [
        FieldError(
            detail=str(entry.get("detail", "")),
            pointer=str(entry["pointer"]) if entry.get("pointer") is not None else None,
            parameter=str(entry["parameter"]) if entry.get("parameter") is not None else None,
            location=str(entry.get("location") or "body"),
        )
        for entry in entries
        if isinstance(entry, dict)
    ]


class ApiError(Exception):
    """An error answer of the service: its problem+json body (RFC 9457), typed.

    Generated SDKs subclass it once per proto `error_event`, setting
    `error_code`; `Client` raises the subclass whose `error_code` matches the
    answer's `code`, else `ApiError` itself.

    Attributes:
        status: HTTP status code (int).
        code: stable machine code (str), e.g. "NOT_FOUND" or an error event's code.
        title: short summary of the error class (str).
        detail: explanation of this occurrence (str).
        retryable: whether the same request may succeed later (bool); the
            service's `retryable` when it sent one.
        retry_after: the `Retry-After` header in seconds (float), or None.
        body: the decoded JSON body (dict; empty when the body was not JSON).
        errors: for an invalid request (400), each bad field (list of `FieldError`);
            empty otherwise.
    """

    error_code: ClassVar[str] = ""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str = "",
        retryable: bool = False,
        retry_after: float | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the error (normally done by `error_from_response`)."""
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after
        self.body = dict(body or {})
        self.errors = _field_errors(self.body)


class InvalidArgumentError(ApiError):
    """The service refused the request as invalid (400 ``INVALID_ARGUMENT``); `errors` lists each bad field."""

    error_code: ClassVar[str] = "INVALID_ARGUMENT"


class CircuitOpenError(ApiError):
    """The client's circuit breaker for the service's host is open: nothing was sent (503 ``UNAVAILABLE``).

    Raised without a request after ``CircuitBreakerSettings.failure_threshold``
    consecutive failed attempts (no connection, cut answer, 5xx, 429), until
    ``reset_timeout`` seconds have passed. It is `retryable` (later, by the
    caller: the client's own retries stop at it) and `retry_after` holds the
    seconds until the breaker lets one attempt through again.

    Attributes:
        host: the circuit, e.g. "http://127.0.0.1:8000".
    """

    error_code: ClassVar[str] = "UNAVAILABLE"

    def __init__(self, host: str, retry_after: float) -> None:
        """Create the error for the circuit `host`, half-opening in `retry_after` seconds."""
        detail = f"circuit breaker open for {host}: recent calls failed; retry in {retry_after:.1f} s"
        super().__init__(503, "UNAVAILABLE", detail, title="Circuit Open", retryable=True, retry_after=retry_after)
        self.host = host


def is_host_failure(exc: BaseException) -> bool:
    """Tell whether `exc` counts against the host's circuit: a transport error, a 5xx or 429 answer (not 4xx)."""
    if isinstance(exc, ApiError):
        return not isinstance(exc, CircuitOpenError) and (exc.status >= 500 or exc.status == 429)
    return isinstance(exc, httpx.TransportError)


#: Error classes of the codes every potter service may answer, used when the SDK has none of its own.
BUILTIN_ERRORS: Mapping[str, type[ApiError]] = {InvalidArgumentError.error_code: InvalidArgumentError}


def _retry_after(response: httpx.Response) -> float | None:
    """Return the `Retry-After` header in seconds: delay-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        # A malformed header (e.g. "1.5" from a proxy) must not hide the error answer itself.
        return None
    return max(0.0, when.timestamp() - time.time()) if when.tzinfo else None


def error_from_response(response: httpx.Response, errors: Mapping[str, type[ApiError]]) -> ApiError:
    """Turn a non-2xx response into the matching typed error.

    Args:
        response: a read response with status >= 400.
        errors: `code` → error class of the SDK's error events.

    Returns:
        An instance of `errors[code]`, else of `BUILTIN_ERRORS[code]` (an
        `InvalidArgumentError` for a 400 ``INVALID_ARGUMENT``, whose `errors`
        list each bad field), else of `ApiError`. A
        body that is not problem+json (e.g. a proxy's HTML page) still gives
        an `ApiError`, with the code of its status (`STATUS_CODES`) and the
        body text as detail.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or STATUS_CODES.get(response.status_code, "UNKNOWN"))
    detail = body.get("detail")
    if not isinstance(detail, str):
        detail = response.text if detail is None else str(detail)
    retryable = body.get("retryable")
    error_class = errors.get(code) or BUILTIN_ERRORS.get(code, ApiError)
    return error_class(
        response.status_code,
        code,
        detail,
        title=str(body.get("title") or response.reason_phrase),
        retryable=bool(retryable) if retryable is not None else response.status_code in (429, 503),
        retry_after=_retry_after(response),
        body=body,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often a client retries a failed call.

    A call is retried when the service answered an error marked `retryable`
    (an error event with `retryable: true`, 429 or 503: nothing was done), or
    when the connection could not be made; on a timeout, a dropped connection,
    502 or 504 only if the request is safe to send twice (an idempotent
    method, or a command sent with an idempotency key).

    Attributes:
        attempts: tries in all, the first included (1 disables retries).
        initial_backoff: seconds before the first retry; doubles each time, with jitter.
        max_backoff: upper bound of one wait, seconds.
        max_retry_after: a longer `Retry-After` than this (seconds) is not waited for.
    """

    attempts: int = 3
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    max_retry_after: float = 30.0

    def is_retryable(self, exc: BaseException, replayable: bool) -> bool:
        """Tell whether a call that failed with `exc` may be sent again (never while the circuit is open)."""
        if isinstance(exc, CircuitOpenError):
            return False
        if isinstance(exc, ApiError):
            if exc.retryable:
                return exc.retry_after is None or exc.retry_after <= self.max_retry_after
            return replayable and exc.status in (502, 504)
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return True
        return replayable and isinstance(exc, httpx.TransportError)

    def wait(self, state: tenacity.RetryCallState) -> float:
        """Return the seconds to wait before the next try: the answer's `Retry-After`, else exponential backoff."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ApiError) and exc.retry_after is not None:
            return exc.retry_after
        backoff = tenacity.wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
        return float(backoff(state))

    def retrying_arguments(self, replayable: bool) -> dict[str, Any]:
        """Return the keyword arguments of `tenacity.Retrying`/`AsyncRetrying` for one call."""
        return {
            "stop": tenacity.stop_after_attempt(max(1, self.attempts)),
            "wait": self.wait,
            "retry": tenacity.retry_if_exception(lambda exc: self.is_retryable(exc, replayable)),
            "reraise": True,
        }


@dataclass(frozen=True)
class Route:
    """How one RPC travels over REST (the service's routes, README "REST routes").

    Attributes:
        method: HTTP method, e.g. "POST".
        path: path template, e.g. "/api/v1/books/{id}"; `{name}` is the
            request attribute `path_field`.
        path_field: the request attribute that fills the path ("" for none).
        has_body: True when the request is sent as the JSON body.
        query: JSON names of the request fields sent as query parameters
            (body-less routes).
        idempotent: True for commands declared `idempotent`: an
            `Idempotency-Key` header is sent, the same one on every retry.
    """

    method: str
    path: str
    path_field: str = ""
    has_body: bool = False
    query: tuple[str, ...] = ()
    idempotent: bool = False

    def build(
        self, client: httpx.Client | httpx.AsyncClient, request: BaseModel, idempotency_key: str | None, timeout: float | None
    ) -> httpx.Request:
        """Return the HTTP request for `request` (a generated message).

        Path values are percent-encoded whole (a "/" in an id stays in its
        segment); query values use the proto3 JSON form (64-bit integers as
        decimal strings, enums by name, booleans as true/false), and fields
        left at their default are not sent.
        """
        path = self.path
        if self.path_field:
            value = request.model_dump(mode="json", include={self.path_field})[self.path_field]
            path = path.replace("{" + self.path_field + "}", quote(_query_text(value), safe=""))
        headers = {}
        if self.idempotent:
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key or str(uuid.uuid4())
        params: list[tuple[str, str | int | float | bool | None]] = []
        body = None
        if self.has_body:
            body = request.model_dump(mode="json", by_alias=True, exclude_none=True)
        else:
            values = request.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for name in self.query:
                value = values.get(name)
                for item in value if isinstance(value, list) else [value]:
                    if item is not None:
                        params.append((name, _query_text(item)))
        extensions = {} if timeout is None else {"timeout": httpx.Timeout(timeout).as_dict()}
        return client.build_request(self.method, path, params=params, json=body, headers=headers, extensions=extensions)

    @property
    def is_replayable(self) -> bool:
        """Tell whether sending the request twice has the effect of sending it once."""
        return self.method in IDEMPOTENT_METHODS or self.idempotent


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Base:
    """What the sync and async clients share: settings and the error table."""

    #: `code` → error class; generated SDKs set it to their error events.
    errors: ClassVar[Mapping[str, type[ApiError]]] = {}

    def __init__(self, retry: RetryPolicy | None) -> None:
        self.retry = retry or RetryPolicy()

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise error_from_response(response, self.errors)


class Client(_Base, OperationPolling):
    """Base of a generated synchronous client (httpx.Client).

    Args:
        base_url: the service's URL, e.g. "http://127.0.0.1:8000".
        http_client: an httpx.Client to use instead of a new one (for
            authentication, proxies, TLS or tests); it is not closed by `close()`.
        headers: headers sent with every request (e.g. Authorization).
        timeout: seconds to wait for connect, read and write, per try.
        retry: the retry policy (default `RetryPolicy()`).
        circuit_breaker: when this client stops calling a failing host
            (`CircuitBreakerSettings()`: 5 failures, 30 s); None disables it.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        http_client: httpx.Client | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreakerSettings | None = CircuitBreakerSettings(),  # noqa: B008 (frozen)
    ) -> None:
        super().__init__(retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(base_url=base_url, timeout=timeout)
        self.breakers = (
            CircuitBreakers(circuit_breaker, is_failure=is_host_failure, open_error=CircuitOpenError)
            if circuit_breaker
            else None
        )
        if headers:
            self._http.headers.update(headers)

    def close(self) -> None:
        """Close the connections (unless the httpx.Client was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _call(
        self,
        route: Route,
        request: BaseModel,
        response_type: type[ResponseT],
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> ResponseT:
        """Send a unary RPC and return its response message.

        Raises:
            ApiError: the service answered an error (after the retries the policy allows).
            httpx.HTTPError: the service could not be reached or the answer was cut.
            pydantic.ValidationError: the answer is not a `response_type`.
        """
        built = route.build(self._http, request, idempotency_key, timeout)

        def send() -> ResponseT:
            with self.breakers.guard(built.url) if self.breakers else contextlib.nullcontext():
                response = self._http.send(built)
                self._check(response)
            return response_type.model_validate(response.json(), context=IGNORE_UNKNOWN_FIELDS)

        return tenacity.Retrying(**self.retry.retrying_arguments(route.is_replayable))(send)

    def _stream(
        self,
        route: Route,
        request: BaseModel,
        response_type: type[ResponseT],
        *,
        timeout: float | None = None,
    ) -> Iterator[ResponseT]:
        """Send a server-streaming RPC and yield its messages (NDJSON lines) as they arrive.

        Opening the stream is retried as `_call` is; a stream cut midway raises.

        Raises:
            ApiError, httpx.HTTPError, pydantic.ValidationError: as `_call`.
        """
        built = route.build(self._http, request, None, timeout)

        def open_stream() -> httpx.Response:
            with self.breakers.guard(built.url) if self.breakers else contextlib.nullcontext():
                response = self._http.send(built, stream=True)
                if response.status_code >= 400:
                    response.read()
                    response.close()
                    self._check(response)
            return response

        response: httpx.Response = tenacity.Retrying(**self.retry.retrying_arguments(route.is_replayable))(open_stream)
        try:
            for line in response.iter_lines():
                if line.strip():
                    yield response_type.model_validate_json(line, context=IGNORE_UNKNOWN_FIELDS)
        finally:
            response.close()


class AsyncClient(_Base, AsyncOperationPolling):
    """Base of a generated asyncio client (httpx.AsyncClient); arguments as `Client`."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreakerSettings | None = CircuitBreakerSettings(),  # noqa: B008 (frozen)
    ) -> None:
        super().__init__(retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.breakers = (
            AsyncCircuitBreakers(circuit_breaker, is_failure=is_host_failure, open_error=CircuitOpenError)
            if circuit_breaker
            else None
        )
        if headers:
            self._http.headers.update(headers)

    async def aclose(self) -> None:
        """Close the connections (unless the httpx.AsyncClient was passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        route: Route,
        request: BaseModel,
        response_type: type[ResponseT],
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> ResponseT:
        """Send a unary RPC and return its response message; raises as `Client._call`."""
        built = route.build(self._http, request, idempotency_key, timeout)

        async def send() -> ResponseT:
            async with self.breakers.guard(built.url) if self.breakers else contextlib.nullcontext():
                response = await self._http.send(built)
                self._check(response)
            return response_type.model_validate(response.json(), context=IGNORE_UNKNOWN_FIELDS)

        return await tenacity.AsyncRetrying(**self.retry.retrying_arguments(route.is_replayable))(send)

    async def _stream(
        self,
        route: Route,
        request: BaseModel,
        response_type: type[ResponseT],
        *,
        timeout: float | None = None,
    ) -> AsyncIterator[ResponseT]:
        """Send a server-streaming RPC and yield its messages; raises as `Client._stream`."""
        built = route.build(self._http, request, None, timeout)

        async def open_stream() -> httpx.Response:
            async with self.breakers.guard(built.url) if self.breakers else contextlib.nullcontext():
                response = await self._http.send(built, stream=True)
                if response.status_code >= 400:
                    await response.aread()
                    await response.aclose()
                    self._check(response)
            return response

        response: httpx.Response = await tenacity.AsyncRetrying(**self.retry.retrying_arguments(route.is_replayable))(open_stream)
        try:
            async for line in response.aiter_lines():
                if line.strip():
                    yield response_type.model_validate_json(line, context=IGNORE_UNKNOWN_FIELDS)
        finally:
            await response.aclose()
