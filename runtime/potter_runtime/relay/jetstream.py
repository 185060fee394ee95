"""Publishing events to NATS JetStream (nats-py), pipelined and in order.

Each event becomes one message on ``<module>.events.<event_type>`` in a stream
covering ``<module>.events.>`` (created if missing), with ``Nats-Msg-Id`` = the
event id so the broker drops copies inside its duplicate window. Every message
after the first of a batch also carries ``Nats-Expected-Last-Msg-Id`` = the
previous event's id, so the stream stores a message only right after its
predecessor: if one is lost (e.g. the connection broke and nats-py flushed
later ones after reconnecting) the rest are rejected instead of stored out of
order. The server checks duplicates before that header, so republishing a
stored event is still acknowledged, as a duplicate. The same chain lets a batch
be sent without waiting (at most ``max_in_flight`` unconfirmed) and ask for an
acknowledgement on only every ``ack_interval``-th message: one confirmed
message proves all before it. NATS docs, "JetStream Model Deep Dive", message
deduplication and publish expectations; nats-server ``processJetStreamMsg``.

This module must not read the event store or move checkpoints (``outbox.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from potter_runtime.relay.envelope import encode_event, events_subject, stream_name
from potter_runtime.relay.outbox import PublishError
from potter_runtime.store.port import StoredEvent

logger = logging.getLogger("potter_runtime.relay")

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"


async def connect_nats(
    url: str, *, name: str | None = None, first_connect_timeout: float = 5.0, **options: Any
) -> Client:
    """Connect to NATS, reconnecting forever after a drop (nats-py's own backoff).

    Args:
        url: Server URL(s), comma-separated, e.g. ``"nats://127.0.0.1:4222"``.
        name: Connection name shown by the server's monitoring.
        first_connect_timeout: Longest wait for the first connection (seconds).
        options: Further ``nats.connect`` keyword arguments; they override ours.

    Returns:
        The connected client.

    Raises:
        TimeoutError: No server answered within ``first_connect_timeout``.
        nats.errors.Error: The server refused the connection (e.g. authorization).
    """
    label = name or "nats"

    # One line per event instead of nats-py's default traceback on every failed reconnect.
    async def on_error(exc: Exception) -> None:
        logger.warning("%s: %s: %s", label, type(exc).__name__, exc)

    async def on_disconnected() -> None:
        if not client.is_closed:  # close() reports a disconnection too
            logger.warning("%s: disconnected from NATS; reconnecting", label)

    async def on_reconnected() -> None:
        logger.info("%s: reconnected to NATS", label)

    defaults: dict[str, Any] = {
        "servers": [server.strip() for server in url.split(",")],
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "connect_timeout": 2,
        "error_cb": on_error,
        "disconnected_cb": on_disconnected,
        "reconnected_cb": on_reconnected,
    }
    client = Client()
    # nats-py retries the first connection forever when reconnects are unlimited;
    # give up after first_connect_timeout so the caller's backoff (and stop) decide.
    try:
        await asyncio.wait_for(client.connect(**(defaults | options)), timeout=first_connect_timeout)
    except BaseException:
        try:
            await client.close()
        except Exception:
            pass  # never connected: nothing to close
        raise
    return client


async def close_quietly(nc: Client) -> None:
    """Close a NATS connection; errors of a connection already broken are logged, not raised."""
    if nc.is_closed:
        return
    try:
        await nc.close()
    except Exception as exc:  # e.g. ConnectionResetError while flushing to a server that is gone
        logger.info("closing a broken NATS connection: %s: %s", type(exc).__name__, exc)


async def ensure_stream(
    js: JetStreamContext,
    name: str,
    subjects: list[str],
    *,
    duplicate_window: float = 120.0,
) -> None:
    """Create a file-backed stream unless one of that name exists; add missing subjects to it.

    Args:
        js: JetStream context.
        name: Stream name (no dots, spaces or wildcards).
        subjects: Subjects the stream must capture, e.g. ``["library.events.>"]``.
        duplicate_window: How long the broker remembers ``Nats-Msg-Id`` values (seconds).

    Raises:
        nats.js.errors.APIError: The server refused (e.g. subjects overlap another stream).
    """
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            duplicate_window=duplicate_window,
        )
        await js.add_stream(config)
        return
    present = list(info.config.subjects or [])
    missing = [subject for subject in subjects if subject not in present]
    if missing:
        info.config.subjects = present + missing
        await js.update_stream(info.config)


async def _acknowledged(futures: Sequence[asyncio.Future[Any]], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``futures``; return whether all succeeded."""
    pending = [future for future in futures if not future.done()]
    if pending:
        await asyncio.wait(pending, timeout=timeout)
    return all(future.done() and not future.cancelled() and future.exception() is None for future in futures)


class JetStreamPublisher:
    """``EventPublisher`` to NATS JetStream.

    Args:
        url: NATS server URL(s), e.g. ``"nats://127.0.0.1:4222"``.
        module: The service's package name: subjects ``<module>.events.<event_type>``.
        stream: Stream name; default ``<MODULE>_EVENTS``.
        max_in_flight: Most published messages awaiting their acknowledgement (int, > 0).
        ack_timeout: Longest wait for a batch's acknowledgements (seconds); past
            it the unacknowledged rest is republished later.
        duplicate_window: The stream's deduplication window when this publisher
            creates it (seconds); must exceed the longest relay outage you expect
            duplicates to be dropped across.
        ack_interval: Every how many messages one asks for an acknowledgement
            (int, > 0); see ``publish``.
        connect_options: Further ``nats.connect`` keyword arguments.

    Raises:
        ValueError: ``max_in_flight`` or ``ack_interval`` is not positive, or
            ``module`` cannot be part of a subject.
    """

    def __init__(
        self,
        url: str,
        *,
        module: str,
        stream: str | None = None,
        max_in_flight: int = 1000,
        ack_timeout: float = 5.0,
        duplicate_window: float = 120.0,
        ack_interval: int = 100,
        **connect_options: Any,
    ) -> None:
        if max_in_flight <= 0 or ack_interval <= 0:
            raise ValueError(f"max_in_flight and ack_interval must be positive, got {max_in_flight}, {ack_interval}")
        self.url = url
        self.module = module
        self.stream = stream or stream_name(module)
        self.max_in_flight = max_in_flight
        self.ack_timeout = ack_timeout
        self.duplicate_window = duplicate_window
        self.connect_options = connect_options
        self._subjects: dict[str, str] = {}
        self.ack_interval = ack_interval
        # nats-py's limit on pending acknowledged publishes; above ours, as
        # abandoned ones of a failed batch count until their futures are cancelled.
        self._pending_limit = 2 * max_in_flight
        self._careful = False
        events_subject(module)  # validate the module name now rather than at the first publish
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def start(self) -> None:
        """Connect (once) and create the stream if missing; see ``EventPublisher.start``.

        Raises:
            nats.errors.NoServersError: NATS is unreachable.
            nats.js.errors.APIError: The stream cannot be created.
        """
        if self._nc is None or self._nc.is_closed:
            self._nc = await connect_nats(self.url, name=f"potter-relay:{self.stream}", **self.connect_options)
            self._js = self._nc.jetstream(timeout=self.ack_timeout, publish_async_max_pending=self._pending_limit)
        assert self._js is not None
        await ensure_stream(
            self._js, self.stream, [events_subject(self.module)], duplicate_window=self.duplicate_window
        )

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Publish events in order, pipelined; see ``EventPublisher.publish``.

        Only every ``ack_interval``-th message and the batch's last one ask for
        an acknowledgement; the others are plain publishes. That is enough
        because each message after the batch's first carries
        ``Nats-Expected-Last-Msg-Id`` = its predecessor: the stream stores (or
        recognises as a duplicate) message k only if message k-1 was the last
        one stored, so an acknowledged message k proves every message before it
        in the batch is in the stream. After a failure the next batch asks for
        an acknowledgement on every message, so progress is exact again.

        Raises:
            PublishError: Only a prefix of the batch is known to be stored
                (timeout, connection lost, or a rejection); ``published`` says
                how long it is.
        """
        if self._js is None or self._nc is None:
            raise PublishError("publisher not started", published=0)
        js, nc = self._js, self._nc
        interval = 1 if self._careful else self.ack_interval
        # At most max_in_flight messages unacknowledged: ``window`` acknowledged ones.
        window = max(1, self.max_in_flight // interval)
        acked: list[tuple[int, asyncio.Future[Any]]] = []
        failure: BaseException | None = None
        previous: str | None = None
        last = len(events) - 1
        for index, event in enumerate(events):
            event_id = str(event.event_id)
            headers = {MSG_ID: event_id}
            if previous is not None:
                headers[EXPECTED_LAST_MSG_ID] = previous
            subject, body = self._subject(event.event_type), encode_event(event)
            try:
                if index == last or (index + 1) % interval == 0:
                    if len(acked) >= window and not await _acknowledged([acked[-window][1]], self.ack_timeout):
                        break
                    # No stall timeout while nats-py's own limit has room: a timeout
                    # makes the publish yield to the event loop, which flushes each alone.
                    stall = None if js.publish_async_pending() < self._pending_limit else self.ack_timeout
                    acked.append((index, await js.publish_async(subject, body, wait_stall=stall, headers=headers)))
                else:
                    await nc.publish(subject, body, headers=headers)
            except Exception as exc:  # closed, reconnect buffer full, acks stalled
                failure = exc
                break
            previous = event_id
        futures = [future for _, future in acked]
        if futures:
            await asyncio.wait(futures, timeout=self.ack_timeout)
        published = 0
        for index, future in acked:
            if not future.done() or future.cancelled() or future.exception() is not None:
                if failure is None and future.done() and not future.cancelled():
                    failure = future.exception()
                break
            published = index + 1
        for future in futures:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # retrieved, so asyncio does not log it
        self._careful = published < len(events)
        if not self._careful:
            return
        reason = f"{type(failure).__name__}: {failure}" if failure is not None else "acknowledgement timed out"
        raise PublishError(
            f"JetStream confirmed {published} of {len(events)} events ({reason})",
            published=published,
        )

    async def close(self) -> None:
        """Close the NATS connection (pending acknowledgements are abandoned)."""
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            await close_quietly(nc)

    def _subject(self, event_type: str) -> str:
        subject = self._subjects.get(event_type)
        if subject is None:
            subject = self._subjects[event_type] = events_subject(self.module, event_type)
        return subject
