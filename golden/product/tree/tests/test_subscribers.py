"""Event subscriber tests of product: each stored event reaches each subscriber once. Yours to extend."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from potter_runtime import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from product.bootstrap import Container, build_container
from product.domain.models import ProductCreatedEvent
from product.presentation.rest.app import create_app
from product.settings import Settings


@pytest.fixture
def in_process(database_url: str) -> Container:
    """Return the service with the in-process event bus (no NATS), on the test's database."""
    return build_container(
        Settings(database_url=database_url, nats_url=None, projection_poll_seconds=0.05)
    )


def test_subscribers_have_durable_consumer_names(in_process: Container) -> None:
    """Each subscriber is registered under its own name, which can name a JetStream durable consumer."""
    names = [subscriber.name for subscriber in in_process.subscribers()]
    assert names == ["product_subscriber"]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", name) for name in names)


def test_product_created_event_reaches_product_subscriber_once(
    in_process: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event CreateProduct stores reaches `ProductSubscriber.on_product_created_event` once, also when delivered again."""
    seen: list[StoredEvent] = []

    async def record(
        conn: AsyncConnection, event: ProductCreatedEvent, stored: StoredEvent
    ) -> None:
        seen.append(stored)

    monkeypatch.setattr(
        in_process.product_subscriber, "on_product_created_event", record
    )
    with TestClient(create_app(in_process)) as client:
        created = client.post(
            "/api/v1/products",
            json={
                "name": "sample name",
                "description": "sample description",
                "price": 1.5,
                "stock": 7,
                "category": "sample category",
            },
        )
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 30  # the relay delivers in the background
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [stored.event_type for stored in seen] == [
            ProductCreatedEvent.event_type
        ]
        # A second delivery (a relay crash before its checkpoint) is skipped: the event was processed.
        assert client.portal is not None  # the client is serving (inside its `with`)
        client.portal.call(in_process.events.publisher.publish, seen[:1])
    assert len(seen) == 1
