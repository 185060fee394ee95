"""FastAPI glue: map ``ServiceError`` to RFC 9457 ``application/problem+json``.

This module must not define routes or business logic; generated routers do that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from potter_runtime.errors import DomainError, ServiceError

PROBLEM_JSON = "application/problem+json"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details body, plus potter's ``code`` and ``retryable``.

    Attributes:
        type: Problem type URI; always ``"about:blank"``.
        title: Short summary of the error class.
        status: HTTP status code (int).
        detail: Explanation specific to this occurrence.
        code: Stable machine-readable code, e.g. ``"NOT_FOUND"``.
        retryable: For domain errors, whether retrying may succeed; else None.
    """

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    retryable: bool | None = None


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


async def _handle_service_error(_request: Request, exc: Exception) -> JSONResponse:
    # Registered only for ServiceError, so the isinstance check always holds.
    error = exc if isinstance(exc, ServiceError) else ServiceError(str(exc))
    body = problem_details(error).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON)


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every ``ServiceError`` with problem+json.

    Args:
        app: The FastAPI application to configure.
    """
    app.add_exception_handler(ServiceError, _handle_service_error)


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
