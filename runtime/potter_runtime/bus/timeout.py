"""Timeout middleware: ``timeout_seconds`` (and the caller's deadline) bound the handler.

On expiry the handler's task is cancelled where it awaits, so a transaction
it has open (an event store append) is rolled back by its ``async with``
block: nothing is half-applied. The caller gets ``DeadlineExceededError``
(DEADLINE_EXCEEDED; REST 504). A commit that already happened stays.
"""

from __future__ import annotations

import asyncio
from typing import Any

from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import DeadlineExceededError


class TimeoutMiddleware:
    """Cancel a handler that outlives its deadline.

    The deadline is the handler's ``timeout_seconds`` or the context's
    ``deadline``, whichever ends first.

    Args:
        honour_caller_deadline: Also apply ``DispatchContext.deadline`` to
            handlers with no ``timeout_seconds`` of their own (bool).
    """

    def __init__(self, *, honour_caller_deadline: bool = True) -> None:
        self.honour_caller_deadline = honour_caller_deadline

    def applies_to(self, registration: Registration) -> bool:
        """Wrap handlers with a timeout, and all of them when callers' deadlines are honoured."""
        return self.honour_caller_deadline or registration.timeout_seconds > 0

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Run the rest of the chain within the deadline.

        Raises:
            DeadlineExceededError: The deadline passed first (or had already passed).
        """
        limits = []
        if dispatch.registration.timeout_seconds > 0:
            limits.append(float(dispatch.registration.timeout_seconds))
        remaining = dispatch.context.remaining_seconds() if self.honour_caller_deadline else None
        if remaining is not None:
            limits.append(remaining)
        if not limits:
            return await call_next(dispatch)
        seconds = min(limits)
        if seconds <= 0:
            raise DeadlineExceededError(f"{dispatch.rpc}: the caller's deadline had passed before it started")
        try:
            async with asyncio.timeout(seconds) as scope:
                return await call_next(dispatch)
        except TimeoutError:
            # A TimeoutError the handler raised itself (e.g. an HTTP client's) is not ours.
            if not scope.expired():
                raise
            raise DeadlineExceededError(
                f"{dispatch.rpc} did not finish within its deadline of {seconds:g} seconds; nothing was applied"
            ) from None
