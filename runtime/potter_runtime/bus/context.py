"""The context a dispatch carries, and where code below the bus finds it.

``DispatchContext`` is what a transport knows about a request besides its
body: ids that tie messages of one flow together, the idempotency key, the
caller's deadline. The bus makes it the *current* context (a ``contextvars``
variable) while the handler runs, so repositories can stamp events with the
command and correlation ids and log records can carry them, without passing
it through every call. This module must not import transports or storage.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class DispatchContext:
    """What a transport passes with a request, besides the request itself.

    Attributes:
        command_id: Id of this command or query (str); a fresh UUID4 hex unless
            the transport has one (e.g. ``X-Request-ID``).
        correlation_id: Id shared by every message of one business flow (str),
            e.g. the W3C ``traceparent`` trace id; defaults to ``command_id``.
        causation_id: Id of the message that directly caused this one, if any.
        idempotency_key: The client's ``Idempotency-Key``
            (draft-ietf-httpapi-idempotency-key-header), if any; honoured only
            by RPCs whose handler is ``idempotent``.
        deadline: The caller's deadline as a UNIX time (float, seconds since
            the epoch, e.g. from a gRPC deadline), or None; the handler's own
            ``timeout_seconds`` applies as well, whichever ends first.
        metadata: Anything else the transport passes on (header names in lower case).
    """

    command_id: str = field(default_factory=_new_id)
    correlation_id: str = ""
    causation_id: str | None = None
    idempotency_key: str | None = None
    deadline: float | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.correlation_id:
            object.__setattr__(self, "correlation_id", self.command_id)
        if not isinstance(self.metadata, MappingProxyType):
            object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def remaining_seconds(self) -> float | None:
        """Return the seconds left before ``deadline`` (may be <= 0), or None without one."""
        return None if self.deadline is None else self.deadline - time.time()

    def with_changes(self, **changes: Any) -> DispatchContext:
        """Return a copy with the given fields replaced (``dataclasses.replace``)."""
        return replace(self, **changes)


_current: ContextVar[DispatchContext | None] = ContextVar("potter_dispatch_context", default=None)
_appended: ContextVar[dict[str, int] | None] = ContextVar("potter_appended_events", default=None)
_claimed_key: ContextVar[str | None] = ContextVar("potter_claimed_idempotency_key", default=None)


def current_context() -> DispatchContext | None:
    """Return the context of the dispatch being handled in this task, or None outside one."""
    return _current.get()


@contextmanager
def dispatch_scope(context: DispatchContext) -> Iterator[dict[str, int]]:
    """Make ``context`` current for the block; yield the events it appends, counted by aggregate type.

    The dict collects what ``record_append`` reports inside the block (in this
    task and tasks it starts), so the bus knows which cached queries to
    invalidate, whether a failed command changed anything, and what to count.
    """
    appended: dict[str, int] = {}
    context_token = _current.set(context)
    appended_token = _appended.set(appended)
    try:
        yield appended
    finally:
        _appended.reset(appended_token)
        _current.reset(context_token)


def record_append(aggregate_type: str, count: int = 1) -> None:
    """Note that ``count`` events of ``aggregate_type`` were committed by the current dispatch.

    Repositories call this after each successful append; code that appends
    to the event store directly should too. Outside a dispatch it does nothing.
    """
    appended = _appended.get()
    if appended is not None:
        appended[aggregate_type] = appended.get(aggregate_type, 0) + count


def appended_aggregate_types() -> frozenset[str]:
    """Return the aggregate types the current dispatch has appended events to so far."""
    return frozenset(_appended.get() or ())


def appended_event_counts() -> dict[str, int]:
    """Return how many events the current dispatch has appended so far, by aggregate type."""
    return dict(_appended.get() or {})


class idempotency_scope:  # lower case: used like the function it replaced
    """Make ``key`` the idempotency key the current dispatch executes under (set by the idempotency middleware).

    A class rather than ``@contextmanager``: it runs on every idempotent command.
    """

    def __init__(self, key: str) -> None:
        self._key = key
        self._token: Token[str | None] | None = None

    def __enter__(self) -> None:
        self._token = _claimed_key.set(self._key)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _claimed_key.reset(self._token)


def claimed_idempotency_key() -> str | None:
    """Return the idempotency key the current dispatch executes under, or None.

    Repositories store it in their events' metadata, so committing the events
    is what marks the key applied, atomically.
    """
    return _claimed_key.get()
