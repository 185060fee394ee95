"""FastAPI glue: every error answer is RFC 9457 ``application/problem+json``.

Handlers cover the service's own ``ServiceError``s, request validation
(FastAPI's ``RequestValidationError`` → 400 with one entry per bad field),
the router's 404 and 405 (Starlette's ``HTTPException``) and unexpected
exceptions (500). It also carries requests into the buses and answers back:
``dispatch_context`` reads ``Idempotency-Key``, ``X-Request-ID`` and
``traceparent`` into a ``DispatchContext``; ``send_reply`` writes
``Idempotent-Replayed``, ``Cache-Control`` and ``Age``. This module must not
define routes or business logic; generated routers do that.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from potter_runtime.bus.context import DispatchContext
from potter_runtime.bus.core import Reply
from potter_runtime.errors import DomainError, ServiceError

T = TypeVar("T")

PROBLEM_JSON = "application/problem+json"

#: Stable ``code`` (and title) of the HTTP errors the router itself answers.
HTTP_CODES: Mapping[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Invalid argument"),
    401: ("UNAUTHENTICATED", "Unauthenticated"),
    403: ("PERMISSION_DENIED", "Permission denied"),
    404: ("NOT_FOUND", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    406: ("NOT_ACCEPTABLE", "Not acceptable"),
    409: ("CONFLICT", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "Payload too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    429: ("RESOURCE_EXHAUSTED", "Too many requests"),
    500: ("INTERNAL", "Internal error"),
    503: ("UNAVAILABLE", "Unavailable"),
    504: ("DEADLINE_EXCEEDED", "Deadline exceeded"),
}


class FieldViolation(BaseModel):
    """One invalid part of a request, an entry of a 400 answer's ``errors`` member.

    Attributes:
        detail: What is wrong with the value, e.g. ``"Input should be a valid integer"``.
        pointer: For a body field: a JSON Pointer (RFC 6901) to it in URI fragment
            form, as RFC 9457's example does, e.g. ``"#/copies"`` or ``"#/items/0/name"``;
            ``"#"`` for the body as a whole. None for a parameter.
        parameter: For a path, query or header parameter: its name; else None.
        location: Where the value was: ``"body"``, ``"path"``, ``"query"``, ``"header"`` or ``"cookie"``.
    """

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    location: str = "body"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details body, plus potter's ``code``, ``retryable`` and ``errors``.

    Attributes:
        type: Problem type URI; always ``"about:blank"``: ``code`` tells problems apart.
        title: Short summary of the error class.
        status: HTTP status code (int).
        detail: Explanation specific to this occurrence.
        code: Stable machine-readable code, e.g. ``"NOT_FOUND"``.
        retryable: For domain errors, whether retrying may succeed; else None.
        errors: For an invalid request (400), each bad field; else None.
    """

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    retryable: bool | None = None
    errors: list[FieldViolation] | None = None


#: OpenAPI ``responses`` of every route: error answers are problem details (RFC 9457). Given to
#: the routes' ``APIRouter``, a "4XX" entry also keeps FastAPI from documenting its own 422
#: "Validation Error" body, which ``install_error_handlers`` replaces with a 400 problem.
#: (FastAPI also lists the model under application/json, the media type of its responses.)
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ProblemDetails, "description": "The request failed (RFC 9457).", "content": _PROBLEM_CONTENT},
    "5XX": {"model": ProblemDetails, "description": "The service failed (RFC 9457).", "content": _PROBLEM_CONTENT},
}


def problem_details(error: ServiceError) -> ProblemDetails:
    """Build the problem details body for an error.

    Args:
        error: Any service error.

    Returns:
        The body; ``retryable`` is set only for ``DomainError``.
    """
    return ProblemDetails(
        title=error.title,
        status=error.status,
        detail=error.detail,
        code=error.code,
        retryable=error.retryable if isinstance(error, DomainError) else None,
    )


def problem_response(problem: ProblemDetails, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Return ``problem`` as an ``application/problem+json`` response with its status.

    Args:
        problem: The body; members that are None are left out.
        headers: Extra response headers, e.g. ``Allow`` for a 405.
    """
    body = problem.model_dump(exclude_none=True)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _json_pointer(path: Sequence[int | str]) -> str:
    # RFC 6901: "~" and "/" in a reference token are escaped as "~0" and "~1".
    return "#" + "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in path)


def field_violations(errors: Sequence[Mapping[str, Any]]) -> list[FieldViolation]:
    """Turn pydantic/FastAPI validation errors into ``FieldViolation``s.

    Args:
        errors: ``RequestValidationError.errors()``: dicts with ``loc`` (a tuple
            whose first item is the location, e.g. ``("body", "items", 0, "name")``)
            and ``msg``.

    Returns:
        One violation per error, in order; pydantic's own markers in ``loc``
        (a function validator's name, say) are dropped from the pointer.
    """
    violations = []
    for error in errors:
        # pydantic prefixes the message of a validator's ValueError with "Value error, ".
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        location, *path = error.get("loc") or ("body",)
        # Validators add their own names (e.g. "function-before[...]") to loc; they are not JSON keys.
        path = [token for token in path if not (isinstance(token, str) and token.startswith("function-"))]
        if location == "body":
            violations.append(FieldViolation(detail=message, pointer=_json_pointer(path)))
        else:
            parameter = ".".join(str(token) for token in path)
            violations.append(FieldViolation(detail=message, parameter=parameter, location=str(location)))
    return violations


async def _handle_service_error(_request: Request, exc: Exception) -> JSONResponse:
    # Registered only for ServiceError, so the isinstance check always holds.
    error = exc if isinstance(exc, ServiceError) else ServiceError(str(exc))
    # A replayed first answer to an idempotency key says so (draft-ietf-httpapi-idempotency-key-header).
    headers = {IDEMPOTENT_REPLAYED: "true"} if error.replayed else None
    return problem_response(problem_details(error), headers)


async def _handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    violations = field_violations(errors)
    problem = ProblemDetails(
        title="Invalid argument",
        status=400,
        detail=f"The request has {len(violations)} invalid field(s); see errors.",
        code="INVALID_ARGUMENT",
        errors=violations,
    )
    return problem_response(problem)


async def _handle_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code, title = HTTP_CODES.get(status, ("UNKNOWN", "Error"))
    detail = exc.detail if isinstance(exc, HTTPException) else ""
    headers = exc.headers if isinstance(exc, HTTPException) else None
    problem = ProblemDetails(title=title, status=status, detail=str(detail), code=code)
    return problem_response(problem, headers)


async def _handle_unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # The traceback is logged by the server; the client learns nothing internal.
    problem = ProblemDetails(title="Internal error", status=500, detail="The service failed unexpectedly.", code="INTERNAL")
    return problem_response(problem)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer of ``app`` an ``application/problem+json`` body (RFC 9457).

    ``ServiceError`` → its status and code; an invalid request → 400
    ``INVALID_ARGUMENT`` with an ``errors`` member (one ``FieldViolation`` per
    bad field, replacing FastAPI's 422 ``{"detail": [...]}``); no such route →
    404 ``NOT_FOUND``; a method the route does not serve → 405
    ``METHOD_NOT_ALLOWED`` with ``Allow``; any other exception → 500 ``INTERNAL``.

    Args:
        app: The FastAPI application to configure.
    """
    app.add_exception_handler(ServiceError, _handle_service_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(HTTPException, _handle_http_exception)
    app.add_exception_handler(Exception, _handle_unexpected_error)


NDJSON = "application/x-ndjson"


async def ndjson_response(stream: AsyncIterator[BaseModel]) -> StreamingResponse:
    """Serve a server-streaming RPC over REST as newline-delimited JSON.

    The first message is awaited before the response starts, so a
    ``ServiceError`` raised up front (e.g. 404, 501) is still answered as
    problem+json with its status; later errors end the stream.

    Args:
        stream: the handler's async iterator of response messages.

    Returns:
        A 200 ``application/x-ndjson`` response: one JSON message per line.
    """
    first = await anext(stream, None)

    async def lines() -> AsyncIterator[bytes]:
        if first is None:
            return
        yield first.model_dump_json(by_alias=True).encode() + b"\n"
        async for message in stream:
            yield message.model_dump_json(by_alias=True).encode() + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON)


IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENT_REPLAYED = "Idempotent-Replayed"
REQUEST_ID = "X-Request-ID"

# W3C Trace Context, "traceparent Header": version-trace_id-parent_id-flags, lower-case hex.
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# A request id we echo into logs and events: visible ASCII, bounded.
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,200}$")


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """Return ``(trace_id, parent_id)`` of a W3C ``traceparent`` header, or None if it is invalid.

    W3C Trace Context: version ``ff`` and all-zero ids are invalid.
    """
    match = _TRACEPARENT.match((value or "").strip())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, parent_id = match.group(2), match.group(3)
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id, parent_id


def parse_idempotency_key(value: str | None) -> str | None:
    """Return the key of an ``Idempotency-Key`` header, or None when absent.

    draft-ietf-httpapi-idempotency-key-header makes the value a Structured
    Field String (``"8e03978e-…"``, quoted); unquoted keys, as Stripe takes
    them, are accepted too.
    """
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def dispatch_context(request: Request) -> DispatchContext:
    """Build the ``DispatchContext`` of a REST request from its headers.

    - ``X-Request-ID`` (visible ASCII, at most 200 characters) → ``command_id``,
      else a new UUID4 hex;
    - ``traceparent`` (W3C Trace Context) → ``correlation_id`` = its trace id
      and ``causation_id`` = its parent id; else ``X-Correlation-ID``; else
      the command id;
    - ``Idempotency-Key`` → ``idempotency_key``;
    - every header → ``metadata`` (lower-case names).

    Args:
        request: The incoming request.
    """
    headers = request.headers
    fields: dict[str, Any] = {"metadata": {name.lower(): value for name, value in headers.items()}}
    request_id = headers.get(REQUEST_ID)
    if request_id and _REQUEST_ID.match(request_id):
        fields["command_id"] = request_id
    trace = parse_traceparent(headers.get("traceparent"))
    if trace is not None:
        fields["correlation_id"], fields["causation_id"] = trace
    elif headers.get("X-Correlation-ID"):
        fields["correlation_id"] = headers["X-Correlation-ID"][:200]
    fields["idempotency_key"] = parse_idempotency_key(headers.get(IDEMPOTENCY_KEY))
    return DispatchContext(**fields)


def reply_headers(reply: Reply[Any]) -> dict[str, str]:
    """Return the response headers that describe how a bus answer was produced.

    ``Idempotent-Replayed: true`` for a replayed first answer
    (draft-ietf-httpapi-idempotency-key-header); for a cacheable query
    ``Cache-Control: max-age=<ttl>`` and ``Age: <seconds>`` (RFC 9111
    sections 5.2.2.1 and 5.1: the client computes freshness from both).
    """
    headers: dict[str, str] = {}
    if reply.replayed:
        headers[IDEMPOTENT_REPLAYED] = "true"
    if reply.max_age_seconds is not None:
        headers["Cache-Control"] = f"max-age={reply.max_age_seconds}"
        headers["Age"] = str(int(reply.age_seconds))
    return headers


def send_reply(response: Response, reply: Reply[T], context: DispatchContext | None = None) -> T:
    """Put ``reply_headers`` (and ``X-Request-ID`` = the command id) on ``response``; return the message.

    For generated routes: ``return send_reply(response, await bus.dispatch(...), context)``.
    """
    response.headers.update(reply_headers(reply))
    if context is not None:
        response.headers[REQUEST_ID] = context.command_id
    return reply.value


class Exchange:
    """One REST request and the response it will get, as a generated route's dependency.

    Generated routes take ``exchange: Exchange = Depends(Exchange.of)`` (FastAPI
    fills ``request`` and ``response``), so one parameter name carries both
    whatever the RPC's own field names are.

    Args:
        request: The incoming request.
        response: The response FastAPI will send (its headers can be set).
    """

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response
        self.context = dispatch_context(request)

    @classmethod
    async def of(cls, request: Request, response: Response) -> Exchange:
        """Return the exchange of ``request``: the FastAPI dependency generated routes use.

        A coroutine on purpose: FastAPI runs a plain function or a class as a
        dependency in its thread pool, a thread hop on every request.
        """
        return cls(request, response)

    def send(self, reply: Reply[Any], response_type: type[T]) -> T:
        """Put the reply's headers on the response (``send_reply``) and return its message.

        Args:
            reply: What the bus answered.
            response_type: The RPC's response model: the route's return type.

        Raises:
            TypeError: The message is not a ``response_type`` (a handler registered for another RPC).
        """
        value = send_reply(self.response, reply, self.context)
        if not isinstance(value, response_type):
            raise TypeError(f"the bus answered {type(value).__name__}, not {response_type.__name__}")
        return value
