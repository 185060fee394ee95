"""Idempotency middleware: an ``idempotent`` command runs once per idempotency key.

draft-ietf-httpapi-idempotency-key-header, as Stripe implements it:
- the first request with a key executes; its result, success or error, is
  stored with the request's fingerprint and replayed (``Reply.replayed``,
  ``ServiceError.replayed``) to every later request with that key;
- the same key with another request → ``IdempotencyKeyMismatchError`` (422);
- while the first is still executing, a duplicate waits up to
  ``wait_seconds`` for its result, then gets ``IdempotencyKeyInUseError`` (409);
  so concurrent retries of one request all get the one answer;
- a failure that committed no event and may pass on retry (deadline,
  concurrency conflict, retryable domain error, unexpected exception,
  cancellation) releases the key instead, so the retry executes: nothing was
  applied, and storing a 504 would turn every retry into that 504;
- the events a command stores carry its key in their metadata
  (``claimed_idempotency_key``), so a claim whose process died after the
  events' commit is known as applied and never executes again.
An async command's answer is its operation (``potter_runtime.operations``):
a replay answers that same operation.
Requests without a key execute as usual.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from potter_runtime.bus.context import appended_aggregate_types, idempotency_scope
from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import (
    ConcurrencyError,
    DeadlineExceededError,
    DomainError,
    IdempotencyKeyInUseError,
    IdempotencyKeyMismatchError,
    InvalidArgumentError,
    ServiceError,
)
from potter_runtime.idempotency.port import IdempotencyRecord, IdempotencyStore, request_fingerprint
from potter_runtime.operations.model import Operation

logger = logging.getLogger(__name__)

#: Longest key accepted (characters): the column's size.
MAX_KEY_LENGTH = 255


class IdempotencyMiddleware:
    """Execute an ``idempotent`` command once per ``DispatchContext.idempotency_key``.

    Args:
        store: Where keys and first results are kept (e.g. ``SqlIdempotencyStore``).
        wait_seconds: How long a duplicate waits for the first request's result
            before answering 409 (float, seconds).
        poll_seconds: How often a waiting duplicate looks again (float, seconds).
        lock_seconds: How long a claim holds when the handler has no
            ``timeout_seconds`` (float, seconds); after it (a crashed process)
            another request with the key may execute. With a timeout, the
            claim holds for the timeout plus ``wait_seconds``.
        complete_in_background: Store a result after answering
            (bool): the answer is not delayed by that write, at the cost of a
            duplicate arriving meanwhile polling once or twice. ``aclose``
            waits for those writes; call it at shutdown.
    """

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        wait_seconds: float = 10.0,
        poll_seconds: float = 0.05,
        lock_seconds: float = 300.0,
        complete_in_background: bool = True,
    ) -> None:
        self.store = store
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.lock_seconds = lock_seconds
        self.complete_in_background = complete_in_background
        self._pending: set[asyncio.Future[None]] = set()

    def applies_to(self, registration: Registration) -> bool:
        """Wrap idempotent commands whose response model is known (it rebuilds replays)."""
        return registration.kind == "command" and registration.idempotent and registration.response_type is not None

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Execute the command, or replay the first result stored for its key.

        Raises:
            InvalidArgumentError: The key is empty or longer than 255 characters.
            IdempotencyKeyMismatchError: The key was used with another request.
            IdempotencyKeyInUseError: The first request with the key is still running.
            ServiceError: The handler's error, or the replayed first one.
        """
        key = dispatch.context.idempotency_key
        if key is None:
            return await call_next(dispatch)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidArgumentError(f"an idempotency key must have 1 to {MAX_KEY_LENGTH} characters")
        fingerprint = request_fingerprint(dispatch.rpc, dispatch.request)
        timeout = dispatch.registration.timeout_seconds
        lock_seconds = timeout + self.wait_seconds if timeout > 0 else self.lock_seconds
        give_up_at = time.monotonic() + self.wait_seconds
        while True:
            record = await self._claim(key, dispatch.rpc, fingerprint, lock_seconds)
            if record is None:
                break
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyMismatchError(
                    f"idempotency key {key!r} was first used with another request ({record.rpc}); "
                    "use a new key for a new request"
                )
            if record.result is not None:
                return self._replay(dispatch, record.result)
            if record.applied and record.locked_until <= datetime.now(UTC):
                raise IdempotencyKeyInUseError(
                    f"the request with idempotency key {key!r} was applied, but its answer was lost "
                    "(the service stopped); it will not be executed again"
                )
            if time.monotonic() >= give_up_at:
                raise IdempotencyKeyInUseError(
                    f"a request with idempotency key {key!r} is still being executed; retry later"
                )
            await asyncio.sleep(self.poll_seconds)
        return await self._execute(dispatch, call_next, key)

    async def _claim(self, key: str, rpc: str, fingerprint: str, lock_seconds: float) -> IdempotencyRecord | None:
        # The store releases a claim won for a caller that went away (IdempotencyStore.claim).
        return await self.store.claim(key, rpc, fingerprint, lock_seconds=lock_seconds)

    async def _execute(self, dispatch: Dispatch, call_next: CallNext, key: str) -> Reply[Any]:
        try:
            # Repositories put the key in the events' metadata: their commit marks it applied.
            with idempotency_scope(key):
                reply = await call_next(dispatch)
        except ServiceError as error:
            if _is_transient(error) and not appended_aggregate_types():
                await self.store.release(key)
            else:
                await self._complete(key, _error_result(error))
            raise
        except BaseException:
            # Unexpected failure or cancellation (client gone): release unless events were committed.
            if appended_aggregate_types():
                await self._complete(key, _error_result(ServiceError("The service failed unexpectedly.")))
            else:
                await self.store.release(key)
            raise
        result = {"ok": True, "value": reply.value.model_dump(mode="json", by_alias=True)}
        if _is_operation(reply.value):
            result["operation"] = True  # an async command's answer: replay the same operation
        await self._complete(key, result)
        return reply

    async def _complete(self, key: str, result: dict[str, Any]) -> None:
        """Store the result, by default after answering: duplicates wait (poll) for it meanwhile."""
        if not self.complete_in_background:
            await self.store.complete(key, result)
            return
        # A future, not a task: a task per request showed in the profile.
        stored = self.store.complete_later(key, result)
        self._pending.add(stored)
        stored.add_done_callback(self._completed)

    def _completed(self, stored: asyncio.Future[None]) -> None:
        self._pending.discard(stored)
        if not stored.cancelled() and stored.exception() is not None:
            logger.error("could not store the result of an idempotency key", exc_info=stored.exception())

    async def drain(self) -> None:
        """Wait until every result being stored is stored."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Store the pending results; call before closing the idempotency store."""
        await self.drain()

    def _replay(self, dispatch: Dispatch, result: dict[str, Any]) -> Reply[Any]:
        if result.get("ok") and result.get("operation"):
            return Reply(Operation.model_validate(result["value"]), replayed=True)
        if result.get("ok"):
            response_type = dispatch.registration.response_type
            assert response_type is not None  # applies_to requires it
            return Reply(response_type.model_validate(result["value"]), replayed=True)
        raise _replayed_error(result["error"])


def _is_operation(value: Any) -> bool:
    return isinstance(value, Operation)


def _is_transient(error: ServiceError) -> bool:
    if isinstance(error, DomainError):
        return error.retryable
    return isinstance(error, DeadlineExceededError | ConcurrencyError)


def _error_result(error: ServiceError) -> dict[str, Any]:
    return {
        "ok": False,
        "error": {
            "status": error.status,
            "code": error.code,
            "rpc_code": error.rpc_code,
            "title": error.title,
            "detail": error.detail,
            "retryable": error.retryable if isinstance(error, DomainError) else None,
        },
    }


def _replayed_error(stored: dict[str, Any]) -> ServiceError:
    """Rebuild a stored error: same status, codes, title, detail and retryable flag."""
    base: type[ServiceError] = DomainError if stored.get("retryable") is not None else ServiceError
    attributes = {
        "status": int(stored["status"]),
        "code": str(stored["code"]),
        "rpc_code": str(stored["rpc_code"]),
        "title": str(stored["title"]),
    }
    error_class = type("ReplayedError", (base,), attributes)
    error: ServiceError = error_class(str(stored["detail"]))
    if isinstance(error, DomainError):
        error.retryable = bool(stored["retryable"])
    error.replayed = True
    return error
