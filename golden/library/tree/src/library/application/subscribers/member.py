"""Event subscriber of Member: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from library.application.subscriber_bases import MemberSubscriberBase
from library.domain.models import MemberRegistered


class MemberSubscriber(MemberSubscriberBase):
    """Reacts to the events of Member, each once, after the command that stored it committed.

    Each method runs in a database transaction of its own (`conn`) that also
    records the event as processed by `member_subscriber`: write your tables
    through `conn` and the effect happens once. Raise to have the event
    delivered again after a delay (`EVENT_BACKOFF_SECONDS`); after
    `EVENT_MAX_DELIVER` attempts it is parked (NATS subject
    `library.dlq.member_subscriber`, or logged without `NATS_URL`).
    A call to another system is not undone by a rollback: make it idempotent,
    e.g. keyed by `stored.event_id`.
    """

    async def on_member_registered(
        self, conn: AsyncConnection, event: MemberRegistered, stored: StoredEvent
    ) -> None:
        """React to MemberRegistered (`library.member.created`): nothing yet; write through `conn`."""
