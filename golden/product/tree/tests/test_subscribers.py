"""Event subscriber tests of product: each stored event reaches each subscriber once. Yours to extend."""

from __future__ import annotations

import re

import pytest

from product.bootstrap import Container, build_container
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
