"""What an async command's operation is: its status, its record, its REST body.

An async command (``(potter.command).async = true``) is answered at once with
an operation, and executed later by a worker; the operation tells how it went.
The body follows Google's AIP-151 "Long-running operations": ``name``
(``operations/{id}``), ``done``, then ``response`` or ``error``, plus potter's
``status`` (pending, running, succeeded, failed). This module must not touch
storage, queues or web frameworks: the SDK imports it without the
``service`` extra.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

OPERATIONS_PATH = "/api/v1/operations"
"""Where operations are served: ``GET {OPERATIONS_PATH}/{id}``."""


class OperationStatus(enum.StrEnum):
    """Where an operation is in its life: pending → running → succeeded | failed."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        """Whether the operation has ended (AIP-151 ``done``)."""
        return self in (OperationStatus.SUCCEEDED, OperationStatus.FAILED)


@dataclass(frozen=True)
class OperationRecord:
    """One row of the ``operations`` table.

    Attributes:
        id: The operation id (UUID4).
        rpc: Proto RPC name of the command, e.g. ``"ImportBooks"``.
        status: Where it is.
        request: The command's request message as JSON (by alias).
        response: When succeeded, the command's response as JSON; None otherwise,
            and also when the command was applied but its answer was lost (see
            ``OperationWorker``).
        problem: When failed, the RFC 9457 problem details (JSON object); else None.
        correlation_id: The accepting request's correlation id, carried to the execution.
        attempts: How many times a worker started executing it (int).
        created_at: When it was accepted (aware UTC datetime).
        updated_at: When its status last changed (aware UTC datetime).
        locked_until: While running, until when the worker holds it (aware UTC); else None.
    """

    id: uuid.UUID
    rpc: str
    status: OperationStatus
    request: dict[str, Any]
    response: dict[str, Any] | None
    problem: dict[str, Any] | None
    correlation_id: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    locked_until: datetime | None = None


class Operation(BaseModel):
    """The REST body of an operation (AIP-151 ``Operation``, with potter's ``status``).

    Attributes:
        name: ``"operations/{id}"`` (AIP-151 resource name).
        id: The operation id (UUID string), the last segment of ``Location``.
        rpc: The command's RPC name.
        status: ``pending``, ``running``, ``succeeded`` or ``failed``.
        done: True once succeeded or failed (AIP-151).
        response: When succeeded, the command's response message (JSON object).
        error: When failed, the RFC 9457 problem details object (``type``,
            ``title``, ``status``, ``detail``, ``code``, ``retryable``) the command
            would have answered synchronously.
        created_at: When the command was accepted.
        updated_at: When the status last changed.
    """

    name: str
    id: str
    rpc: str
    status: OperationStatus
    done: bool
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: OperationRecord) -> Operation:
        """Return the body describing ``record``."""
        return cls(
            name=f"operations/{record.id}",
            id=str(record.id),
            rpc=record.rpc,
            status=record.status,
            done=record.status.done,
            response=record.response,
            error=record.problem,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    @property
    def location(self) -> str:
        """Return the path the operation is polled at (``Location`` of the 202 answer)."""
        return f"{OPERATIONS_PATH}/{self.id}"
