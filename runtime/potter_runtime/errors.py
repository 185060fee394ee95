"""Service error hierarchy shared by every generated service.

Each error carries the HTTP status, a stable machine code, its ``google.rpc.Code``
name and a short title, so transports (REST problem+json, gRPC status, NATS
replies) map them uniformly.
This module must not import any transport or framework; mapping lives in ``rest.py``.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """Base of every error a handler may raise on purpose.

    Attributes:
        status: HTTP status code (int) used by the REST transport.
        code: Stable machine-readable code (str), e.g. ``"NOT_FOUND"``.
        rpc_code: The ``google.rpc.Code`` name a gRPC transport answers with
            (str), e.g. ``"NOT_FOUND"``; google/rpc/code.proto and AIP-193 give
            the HTTP status each one pairs with.
        title: Short human-readable summary of the error class (str).
        detail: Explanation specific to this occurrence (str).
        replayed: True when the error is the stored first answer to an
            idempotency key, replayed instead of executing again (bool);
            REST then adds ``Idempotent-Replayed: true``.
    """

    status: ClassVar[int] = 500
    code: str = "INTERNAL"
    rpc_code: ClassVar[str] = "INTERNAL"
    title: ClassVar[str] = "Internal error"
    replayed: bool = False

    def __init__(self, detail: str) -> None:
        """Create the error.

        Args:
            detail: Explanation specific to this occurrence.
        """
        super().__init__(detail)
        self.detail = detail


class InvalidArgumentError(ServiceError):
    """The request is malformed or violates a field constraint (HTTP 400)."""

    status = 400
    code = "INVALID_ARGUMENT"
    rpc_code = "INVALID_ARGUMENT"
    title = "Invalid argument"


class NotFoundError(ServiceError):
    """The addressed resource or aggregate does not exist (HTTP 404)."""

    status = 404
    code = "NOT_FOUND"
    rpc_code = "NOT_FOUND"
    title = "Not found"


class ConcurrencyError(ServiceError):
    """An optimistic-concurrency check failed; reload and retry (HTTP 409)."""

    status = 409
    code = "CONFLICT"
    rpc_code = "ABORTED"
    title = "Concurrent modification"


class DomainError(ServiceError):
    """A business rule rejected the command (HTTP 422).

    Generated error-event classes subclass this and set ``code`` and
    ``retryable`` at class level; both may be overridden per instance.

    Attributes:
        retryable: Whether retrying the same request later may succeed (bool).
    """

    status = 422
    code = "DOMAIN_ERROR"
    rpc_code = "FAILED_PRECONDITION"
    title = "Domain rule violated"
    retryable: bool = False

    def __init__(
        self, detail: str, *, code: str | None = None, retryable: bool | None = None
    ) -> None:
        """Create the error.

        Args:
            detail: Explanation specific to this occurrence.
            code: Overrides the class-level machine code when given.
            retryable: Overrides the class-level retryable flag when given.
        """
        super().__init__(detail)
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable


class NotImplementedRpcError(ServiceError):
    """The RPC's scaffold handler has not been written yet (HTTP 501)."""

    status = 501
    code = "NOT_IMPLEMENTED"
    rpc_code = "UNIMPLEMENTED"
    title = "Not implemented"

    def __init__(self, rpc: str) -> None:
        """Create the error.

        Args:
            rpc: Proto RPC name, e.g. ``"CreateItem"``.
        """
        super().__init__(f"{rpc} is not implemented yet; write its handler")
        self.rpc = rpc


class DeadlineExceededError(ServiceError):
    """The handler did not finish within its deadline (HTTP 504)."""

    status = 504
    code = "DEADLINE_EXCEEDED"
    rpc_code = "DEADLINE_EXCEEDED"
    title = "Deadline exceeded"


class IdempotencyKeyInUseError(ServiceError):
    """A request with the same idempotency key is still being executed (HTTP 409).

    draft-ietf-httpapi-idempotency-key-header, section 2.7: retry later; the
    first request's answer will then be replayed.
    """

    status = 409
    code = "IDEMPOTENCY_KEY_IN_USE"
    rpc_code = "ABORTED"
    title = "Idempotency key in use"


class IdempotencyKeyMismatchError(ServiceError):
    """The idempotency key was first used with another request (HTTP 422).

    draft-ietf-httpapi-idempotency-key-header, section 2.7: a key must not be
    reused with a different payload; use a new key for a new request.
    """

    status = 422
    code = "IDEMPOTENCY_KEY_MISMATCH"
    rpc_code = "FAILED_PRECONDITION"
    title = "Idempotency key reused with another request"
