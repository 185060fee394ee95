"""Plan the service's event subscribers: one per aggregate that records events.

An event subscriber reacts to stored events after their command committed
(send a mail, call another service, write a table of its own): a GENERATED
base with one typed no-op `on_<event>` method per event of the aggregate and a
`handle` that decodes the stored event and dispatches, and a SCAFFOLD subclass
the user fills in. The runtime delivers each event once per subscriber
(`potter_runtime.relay`: a durable JetStream consumer with `NATS_URL`, the
in-process event bus without), so a subscriber's name must be a valid
durable consumer name (`[A-Za-z0-9_-]+`, NATS docs "Naming").

One subscriber per aggregate, not one per service: each aggregate's
reactions live in a small file beside its handlers, and each subscriber has
its own consumer, processed-event records and dead letters, so a failing
reaction to one aggregate's events does not hold back another's. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from potter_gen import naming
from potter_gen.ir import Event, Project
from potter_gen.samples import Lifecycle


@dataclass(frozen=True)
class SubscriberHandler:
    """The method of a subscriber for one event.

    Attributes:
        event: the event.
        method: its method name (`on_book_created`).
    """

    event: Event
    method: str


@dataclass(frozen=True)
class EventSubscriber:
    """The generated subscriber of one aggregate's events.

    Attributes:
        aggregate: the aggregate's name (`Book`).
        module: the scaffold module's name, the aggregate's module (`book`).
        handlers: one per event of the aggregate, in declaration order.
    """

    aggregate: str
    module: str
    handlers: tuple[SubscriberHandler, ...]

    @property
    def name(self) -> str:
        """Return the subscriber's name: its durable consumer and dead-letter token (`book_subscriber`)."""
        return f"{self.module}_subscriber"

    @property
    def class_name(self) -> str:
        """Return the scaffold class (`BookSubscriber`)."""
        return f"{naming.pascal_case(self.module)}Subscriber"

    @property
    def base_class(self) -> str:
        """Return the generated base class (`BookSubscriberBase`)."""
        return f"{self.class_name}Base"

    @property
    def event_classes(self) -> list[str]:
        """Return the event classes it decodes, sorted."""
        return sorted({h.event.class_name for h in self.handlers})


def plan_subscribers(project: Project) -> tuple[EventSubscriber, ...]:
    """Return one subscriber per aggregate with events, in declaration order.

    The names come from aggregate module names (snake_case identifiers), so
    they are valid durable consumer names and unique in the project.
    """
    subscribers = []
    for aggregate in project.aggregates:
        if not aggregate.events:
            continue
        handlers = tuple(
            SubscriberHandler(event, f"on_{naming.snake_case(event.class_name)}") for event in aggregate.events
        )
        subscribers.append(EventSubscriber(aggregate.name, aggregate.module, handlers))
    return tuple(subscribers)


@dataclass(frozen=True)
class SubscriberTest:
    """A generated test: the event a standard Create stores reaches its aggregate's subscriber once.

    Attributes:
        subscriber: the subscriber.
        handler: its method for the created event.
        create: the lifecycle whose Create stores that event (its RPC and body).
    """

    subscriber: EventSubscriber
    handler: SubscriberHandler
    create: Lifecycle


def subscriber_tests(
    subscribers: tuple[EventSubscriber, ...], lifecycles: tuple[Lifecycle, ...]
) -> tuple[SubscriberTest, ...]:
    """Return one test per subscriber whose aggregate has a synchronous standard Create that stores an event.

    An async Create answers 202 and stores its event later, from the operations
    worker; the generated API tests follow that operation instead.
    """
    by_aggregate = {lc.aggregate.name: lc for lc in lifecycles}
    tests = []
    for subscriber in subscribers:
        lifecycle = by_aggregate.get(subscriber.aggregate)
        if lifecycle is None or lifecycle.create is None or lifecycle.create.plan is None or lifecycle.create.is_async:
            continue
        event = lifecycle.create.plan.event
        handler = next((h for h in subscriber.handlers if event is not None and h.event == event), None)
        if handler is not None:
            tests.append(SubscriberTest(subscriber, handler, lifecycle))
    return tuple(tests)
