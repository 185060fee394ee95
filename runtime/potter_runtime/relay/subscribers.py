"""Event subscribers: the port, handling each event once, and the JetStream consumer runner.

A subscriber handles events in its own database transaction, which also
inserts a ``processed_events`` (subscriber, event id) row first: a redelivered
event hits that primary key and is skipped, so although the broker delivers at
least once, each event takes effect once per subscriber. Generated code gives
each subscriber typed ``on_<event>`` methods; the runtime only calls ``handle``.

``SubscriberRunner`` consumes through a durable JetStream pull consumer that
every replica binds by the same name (the replicas share the work), acks after
the handler's commit, naks with a growing delay on failure, and after
``max_deliver`` attempts publishes the message to ``<module>.dlq.<subscriber>``
(a stream of its own) and terminates it. NATS docs, "Consumers", pull
consumers, ``AckNak`` with delay and ``AckTerm``.
This module must not read the event store.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from potter_runtime.relay import metrics
from potter_runtime.relay.envelope import dead_letter_subject, decode_event, events_subject, stream_name
from potter_runtime.relay.jetstream import MSG_ID, close_quietly, connect_nats, ensure_stream
from potter_runtime.store.port import StoredEvent
from potter_runtime.store.schema import processed_events_table

logger = logging.getLogger("potter_runtime.relay")

# Durable consumer names: no dots, spaces or wildcards (NATS docs, "Naming").
_NAME = re.compile(r"[A-Za-z0-9_-]+")

DEFAULT_BACKOFF: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
"""Redelivery delays after the 1st, 2nd, … failure (seconds); the last one repeats."""


class Subscriber(Protocol):
    """Reacts to events, writing through the connection of its own transaction.

    Attributes:
        name: Unique subscriber name: letters, digits, ``_`` and ``-`` only
            (it names the durable consumer and the dead-letter subject).

    A subscriber may also have ``event_types`` (a collection of str): then only
    events of those types reach ``handle``, and the others cost no transaction
    and leave no processed-event record (see ``subscribes_to``).
    """

    name: str

    async def handle(self, conn: AsyncConnection, event: StoredEvent) -> None:
        """Handle one event; events it does not use are ignored.

        Args:
            conn: Connection inside the transaction that also records the event as processed.
            event: The event.

        Raises:
            Exception: Any failure; the transaction is rolled back and the event redelivered.
        """
        ...


def check_subscriber_name(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` can name a durable consumer (``[A-Za-z0-9_-]+``)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"subscriber name {name!r} must match [A-Za-z0-9_-]+ (it names a JetStream consumer)")


async def _docstring_only() -> None:
    """The body of a scaffolded ``on_<event>`` method: its docstring, nothing else."""


async def _pass_only() -> None:
    pass


# Bytecode of the bodies that do nothing, as this interpreter compiles them (a docstring, or
# ``pass``/``...``): argument names and counts do not change it.
_EMPTY_BODIES = frozenset({_docstring_only.__code__.co_code, _pass_only.__code__.co_code})


def has_empty_body(method: object) -> bool:
    """Tell whether ``method`` (a function or bound method) is a coroutine whose body does nothing."""
    code = getattr(getattr(method, "__func__", method), "__code__", None)
    return code is not None and code.co_code in _EMPTY_BODIES


def handled_event_types(subscriber: object, event_handlers: Mapping[str, tuple[Any, str]]) -> frozenset[str]:
    """Return the event types whose handler method on ``subscriber`` has a body.

    Args:
        subscriber: The subscriber; its methods are looked up on the instance,
            so a method set on it (e.g. by a test) counts.
        event_handlers: event type → (event class, method name), as generated bases declare it.

    A scaffolded ``on_<event>`` method that is still only its docstring is
    left out: an event nobody reacts to costs no transaction and leaves no
    processed-event record. Once the method has a body, events stored from
    then on reach it (earlier ones are not delivered again, as they would not
    be had the no-op method recorded them).
    """
    return frozenset(
        event_type
        for event_type, (_, name) in event_handlers.items()
        if not has_empty_body(getattr(subscriber, name, None))
    )


def subscribes_to(subscriber: Subscriber, event_type: str) -> bool:
    """Tell whether ``event_type`` is one ``subscriber`` handles: in its ``event_types``, or any if it has none."""
    wanted: Collection[str] | None = getattr(subscriber, "event_types", None)
    return wanted is None or event_type in wanted


async def handle_once(engine: AsyncEngine, subscriber: Subscriber, event: StoredEvent) -> bool:
    """Run ``subscriber.handle`` in a transaction that records the event as processed.

    The record is inserted first: a concurrent delivery of the same event waits
    on its primary key and then finds it, instead of both running the handler.

    Args:
        engine: Engine of the database holding ``processed_events`` and the subscriber's tables.
        subscriber: The subscriber.
        event: The event.

    Returns:
        True if the handler ran and committed; False if the subscriber had
        already processed the event (nothing ran).

    Raises:
        Exception: Whatever the handler raised; nothing was committed.
    """
    try:
        async with engine.begin() as conn:
            await conn.execute(
                processed_events_table.insert().values(
                    subscriber=subscriber.name, event_id=event.event_id, processed_at=datetime.now(UTC)
                )
            )
            await subscriber.handle(conn, event)
    except IntegrityError as exc:
        if _is_duplicate(exc):
            return False
        raise
    return True


def _is_duplicate(exc: IntegrityError) -> bool:
    # Only the processed_events key counts; a handler's own constraint violation is a failure.
    text = str(exc.orig).lower()
    return "processed_events" in text or ("unique" in text and "processed" in text)


def retry_delay(backoff: Sequence[float], failures: int) -> float:
    """Return the delay before redelivery after ``failures`` failed attempts (seconds; last value repeats)."""
    if not backoff:
        return 0.0
    return float(backoff[min(failures, len(backoff)) - 1])


class SubscriberRunner:
    """Feeds one subscriber from a durable JetStream pull consumer.

    Args:
        engine: Engine of the subscriber's database (``processed_events`` included).
        subscriber: The subscriber; its ``name`` is the durable consumer's name.
        url: NATS server URL(s).
        module: Package of the service whose events are consumed (subjects
            ``<module>.events.>``, dead letters ``<module>.dlq.<name>``).
        stream: The events stream; default ``<MODULE>_EVENTS``.
        filter_subject: Subjects to consume; default every event of ``module``.
        max_deliver: Attempts before an event is parked on the dead-letter subject (int, ≥ 1).
        backoff: Delays before the 2nd, 3rd, … attempt (seconds).
        ack_wait: How long the server waits for an ack before redelivering (seconds);
            must exceed the slowest handler.
        fetch_batch: Most messages fetched per pull (int, > 0).
        fetch_timeout: Longest wait of a pull when nothing is pending (seconds).

    Raises:
        ValueError: The subscriber's name is not a valid consumer name, or
            ``max_deliver`` < 1.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        subscriber: Subscriber,
        *,
        url: str,
        module: str,
        stream: str | None = None,
        filter_subject: str | None = None,
        max_deliver: int = 5,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        ack_wait: float = 30.0,
        fetch_batch: int = 100,
        fetch_timeout: float = 1.0,
    ) -> None:
        check_subscriber_name(subscriber.name)
        if max_deliver < 1:
            raise ValueError(f"max_deliver must be at least 1, got {max_deliver}")
        self.engine = engine
        self.subscriber = subscriber
        self.url = url
        self.module = module
        self.stream = stream or stream_name(module)
        self.filter_subject = filter_subject or events_subject(module)
        self.dead_letter_subject = dead_letter_subject(module, subscriber.name)
        self.dead_letter_stream = stream_name(module, "DLQ")
        self.max_deliver = max_deliver
        self.backoff = tuple(backoff)
        self.ack_wait = ack_wait
        self.fetch_batch = fetch_batch
        self.fetch_timeout = fetch_timeout
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Connect, create the dead-letter stream if missing and bind the durable consumer.

        The events stream must exist (the relay creates it).

        Raises:
            nats.errors.NoServersError: NATS is unreachable.
            nats.js.errors.NotFoundError: The events stream does not exist.
        """
        if self._nc is None or self._nc.is_closed:
            self._nc = await connect_nats(self.url, name=f"potter-subscriber:{self.subscriber.name}")
            self._js = self._nc.jetstream()
        assert self._js is not None
        await ensure_stream(self._js, self.dead_letter_stream, [dead_letter_subject(self.module)])
        config = ConsumerConfig(
            durable_name=self.subscriber.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            # The runner parks events itself after max_deliver attempts; the server
            # never gives up on its own, so no event is dropped unparked.
            max_deliver=-1,
            filter_subject=self.filter_subject,
        )
        self._subscription = await self._js.pull_subscribe(
            self.filter_subject, durable=self.subscriber.name, stream=self.stream, config=config
        )

    async def run_once(self) -> int:
        """Fetch one batch and settle every message in it (ack, nak or park).

        Returns:
            How many messages were fetched (0 when none was pending within ``fetch_timeout``).

        Raises:
            RuntimeError: ``start`` was not called.
            nats.errors.Error: The connection failed.
        """
        if self._subscription is None:
            raise RuntimeError("SubscriberRunner.start() must be called first")
        try:
            messages = await self._subscription.fetch(self.fetch_batch, timeout=self.fetch_timeout)
        except TimeoutError:  # nats-py raises its own subclass or asyncio's, depending on the path
            return 0
        for message in messages:
            await self._settle(message)
        return len(messages)

    async def run(self) -> None:
        """Consume until ``stop``; failures are logged and retried every second.

        A stopped runner does not run again (make a new one).
        """
        try:
            while not self._stopping.is_set():
                try:
                    if self._subscription is None:
                        await self.start()
                    await self.run_once()
                except Exception as exc:
                    logger.warning("subscriber %s: %s: %s; retrying", self.subscriber.name, type(exc).__name__, exc)
                    self._subscription = None
                    try:
                        await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
                    except TimeoutError:
                        pass
        finally:
            await self.close()

    def stop(self) -> None:
        """Ask ``run`` to return after the current batch."""
        self._stopping.set()

    async def close(self) -> None:
        """Close the NATS connection; unacked messages are redelivered after ``ack_wait``."""
        nc, self._nc, self._js, self._subscription = self._nc, None, None, None
        if nc is not None:
            await close_quietly(nc)

    async def _settle(self, message: Msg) -> None:
        name = self.subscriber.name
        attempt = message.metadata.num_delivered
        try:
            event = decode_event(message.data)
        except ValueError as exc:
            await self._park(message, exc, attempt)  # no retry can fix a body we cannot read
            return
        if not subscribes_to(self.subscriber, event.event_type):
            await message.ack()
            return
        try:
            handled = await handle_once(self.engine, self.subscriber, event)
        except Exception as exc:
            if attempt >= self.max_deliver:
                logger.error("subscriber %s: event %s failed %d times; parked", name, event.event_id, attempt)
                await self._park(message, exc, attempt)
            else:
                logger.warning("subscriber %s: event %s failed (attempt %d): %s", name, event.event_id, attempt, exc)
                metrics.EVENTS_HANDLED.labels(name, "retried").inc()
                await message.nak(delay=retry_delay(self.backoff, attempt))
            return
        metrics.EVENTS_HANDLED.labels(name, "handled" if handled else "duplicate").inc()
        await message.ack()

    async def _park(self, message: Msg, exc: BaseException, attempt: int) -> None:
        """Publish the message to the dead-letter subject, then terminate its delivery."""
        assert self._js is not None
        headers: dict[str, Any] = {
            # One dead letter per (event, subscriber), even if parking is retried.
            MSG_ID: f"{(message.headers or {}).get(MSG_ID, message.metadata.sequence.stream)}:{self.subscriber.name}",
            "Potter-Subject": message.subject,
            "Potter-Deliveries": str(attempt),
            "Potter-Error": f"{type(exc).__name__}: {exc}"[:1000],
        }
        await self._js.publish(self.dead_letter_subject, message.data, headers=headers)
        await message.term()
        metrics.EVENTS_HANDLED.labels(self.subscriber.name, "dead_lettered").inc()
