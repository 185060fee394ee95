"""REST glue of operations: the 202 answer of an async command and ``GET /api/v1/operations/{id}``.

AIP-151 "Long-running operations" over HTTP: an accepted command answers
``202 Accepted`` with ``Location: /api/v1/operations/{id}`` and the
``Operation`` body; the client polls that location until ``done``. This module
must not execute commands.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from potter_runtime.bus.core import Reply
from potter_runtime.errors import NotFoundError
from potter_runtime.operations.model import OPERATIONS_PATH, Operation
from potter_runtime.operations.store import SqlOperationStore
from potter_runtime.rest import PROBLEM_RESPONSES, Exchange

#: OpenAPI ``responses`` of an async command's route: its 202 carries ``Location``.
ACCEPTED_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: executed in the background; poll the operation at Location (AIP-151).",
        "headers": {
            "Location": {
                "description": "The operation, `/api/v1/operations/{id}`.",
                "schema": {"type": "string"},
            }
        },
    }
}


def send_operation(exchange: Exchange, reply: Reply[Any]) -> Operation:
    """Answer an accepted async command: 202, ``Location`` and the operation.

    For generated routes: ``return send_operation(exchange, await bus.dispatch(...))``.
    Headers of the reply (``Idempotent-Replayed`` for a replay) are set as ``Exchange.send`` does.

    Raises:
        TypeError: The bus answered something else than an ``Operation`` (the
            command is not registered ``is_async``).
    """
    operation = exchange.send(reply, Operation)
    exchange.response.status_code = 202
    exchange.response.headers["Location"] = operation.location
    return operation


def operations_api_router(store: SqlOperationStore) -> APIRouter:
    """Return the router serving ``GET /api/v1/operations/{operation_id}`` from ``store``.

    Answers 200 with the ``Operation`` (AIP-151 GetOperation), or 404
    ``NOT_FOUND`` problem details for an unknown or malformed id.
    """
    router = APIRouter(responses=PROBLEM_RESPONSES, tags=["operations"])

    @router.get(OPERATIONS_PATH + "/{operation_id}", operation_id="GetOperation", summary="Get an operation")
    async def get_operation(operation_id: str) -> Operation:
        """Return an async command's operation: its status, and its response or error once done."""
        try:
            key = uuid.UUID(operation_id)
        except ValueError:
            raise NotFoundError(f"no operation {operation_id!r}") from None
        record = await store.get(key)
        if record is None:
            raise NotFoundError(f"no operation {operation_id!r}")
        return Operation.of(record)

    return router
