"""SDK side of async commands: read an operation, and wait until it is done.

Mixed into ``potter_runtime.client.Client`` / ``AsyncClient``: an async
command's SDK method returns the accepted ``Operation``;
``fetch_operation(id)`` reads it again (``GET /api/v1/operations/{id}``,
AIP-151 GetOperation) and ``wait(operation, ResponseType)`` polls it until
``done``, then returns the typed response or raises the typed ``ApiError``
its problem details map to (the error the command would have raised
synchronously). Needs only httpx and pydantic (no service extra).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS
from potter_runtime.operations.model import OPERATIONS_PATH, Operation, OperationStatus

ResponseT = TypeVar("ResponseT", bound=BaseModel)


def _path(operation: Operation | str) -> str:
    operation_id = operation.id if isinstance(operation, Operation) else operation
    return f"{OPERATIONS_PATH}/{quote(operation_id, safe='')}"


def _result(operation: Operation, response_type: type[ResponseT], errors: Mapping[str, Any]) -> ResponseT:
    from potter_runtime.client import error_from_response

    if operation.status is OperationStatus.FAILED:
        problem = operation.error or {"status": 500, "code": "INTERNAL", "title": "Internal error", "detail": ""}
        answer = httpx.Response(
            int(problem.get("status", 500)), json=problem, headers={"content-type": "application/problem+json"}
        )
        raise error_from_response(answer, errors)
    return response_type.model_validate(operation.response or {}, context=IGNORE_UNKNOWN_FIELDS)


class OperationPolling:
    """``fetch_operation`` and ``wait`` of a synchronous client (``Client``)."""

    _http: httpx.Client
    errors: ClassVar[Mapping[str, Any]]

    if TYPE_CHECKING:

        def _check(self, response: httpx.Response) -> None:
            """Raise the ``ApiError`` of an error answer (``potter_runtime.client._Base``)."""

    def fetch_operation(self, operation: Operation | str) -> Operation:
        """Return the operation (by object or id) as the service has it now.

        Raises:
            ApiError: e.g. ``NotFoundError`` for an unknown id.
        """
        response = self._http.get(_path(operation))
        self._check(response)
        return Operation.model_validate(response.json())

    def wait(
        self,
        operation: Operation | str,
        response_type: type[ResponseT],
        *,
        timeout: float = 60.0,
        poll_seconds: float = 0.2,
    ) -> ResponseT:
        """Poll the operation until it is done; return its response.

        Args:
            operation: The accepted operation (or its id).
            response_type: The command's response model, e.g. ``ImportBooksResponse``.
            timeout: Longest wait (seconds).
            poll_seconds: Pause between reads (seconds).

        Raises:
            ApiError: The command failed: the error (subclass) its problem details map to.
            TimeoutError: Not done within ``timeout``.
        """
        give_up_at = time.monotonic() + timeout
        current = operation if isinstance(operation, Operation) and operation.done else self.fetch_operation(operation)
        while not current.done:
            if time.monotonic() >= give_up_at:
                raise TimeoutError(f"operation {current.id} not done after {timeout} s (status {current.status})")
            time.sleep(poll_seconds)
            current = self.fetch_operation(current)
        return _result(current, response_type, self.errors)


class AsyncOperationPolling:
    """``fetch_operation`` and ``wait`` of an asyncio client (``AsyncClient``)."""

    _http: httpx.AsyncClient
    errors: ClassVar[Mapping[str, Any]]

    if TYPE_CHECKING:

        def _check(self, response: httpx.Response) -> None:
            """Raise the ``ApiError`` of an error answer (``potter_runtime.client._Base``)."""

    async def fetch_operation(self, operation: Operation | str) -> Operation:
        """Return the operation (by object or id) as the service has it now; raises as ``OperationPolling``."""
        response = await self._http.get(_path(operation))
        self._check(response)
        return Operation.model_validate(response.json())

    async def wait(
        self,
        operation: Operation | str,
        response_type: type[ResponseT],
        *,
        timeout: float = 60.0,
        poll_seconds: float = 0.2,
    ) -> ResponseT:
        """Poll the operation until it is done; return its response; see ``OperationPolling.wait``."""
        give_up_at = time.monotonic() + timeout
        current = (
            operation if isinstance(operation, Operation) and operation.done else await self.fetch_operation(operation)
        )
        while not current.done:
            if time.monotonic() >= give_up_at:
                raise TimeoutError(f"operation {current.id} not done after {timeout} s (status {current.status})")
            await asyncio.sleep(poll_seconds)
            current = await self.fetch_operation(current)
        return _result(current, response_type, self.errors)
