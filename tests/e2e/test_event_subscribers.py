"""Event subscribers of the generated library service, as deployed: two replicas, PostgreSQL, NATS JetStream.

`potter-gen init` on the library example; the test then edits the SCAFFOLD
subscriber `application/subscribers/book.py` as a user would: its
`on_book_created` inserts a row into a table of its own, through the
connection it is given, and raises for a book titled "poison". Two
`python -m library` processes share one migrated database and a nats-server
of the test's own:

- every event reaches the durable consumer `book_subscriber`, which both
  replicas bind, and takes effect exactly once (one row per event);
- the poison event is delivered `EVENT_MAX_DELIVER` times, then parked on
  `library.dlq.book_subscriber` with its error, and nothing of it was
  committed; the events after it are not held back.

The generated service and its tests without NATS (the in-process event bus)
run in `tests/e2e/test_postgres_service.py` and the golden project's own tests.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from potter_runtime.relay import decode_event
from tests.conftest import EXAMPLE_PROTO, REPO
from tests.e2e.test_postgres_service import BIN, Service, execute, private_nats, query, run, service_env

pytestmark = pytest.mark.e2e

MAX_DELIVER = 3
SEEN_TABLE = "CREATE TABLE e2e_seen (event_id TEXT NOT NULL, title TEXT NOT NULL, pid INTEGER NOT NULL)"

# What a user writes in the scaffold: the body of on_book_created, and the imports it needs.
HANDLER_BODY = '''
        if event.title == "poison":
            raise RuntimeError("this book cannot be handled")
        await conn.execute(
            text("INSERT INTO e2e_seen (event_id, title, pid) VALUES (:id, :title, :pid)"),
            {"id": str(stored.event_id), "title": event.title, "pid": os.getpid()},
        )
'''
HANDLER_IMPORTS = "import os\n\nfrom sqlalchemy import text\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the library project, its book subscriber edited to record each BookCreated in `e2e_seen`."""
    root = tmp_path_factory.mktemp("subscribers") / "library"
    run([str(BIN / "potter-gen"), "init", "--proto", str(EXAMPLE_PROTO), "--output", str(root)], REPO, dict(os.environ))
    scaffold = root / "src" / "library" / "application" / "subscribers" / "book.py"
    source = scaffold.read_text()
    docstring = '        """React to BookCreated (`library.book.created`): nothing yet; write through `conn`."""\n'
    assert docstring in source, source
    source = source.replace(docstring, docstring + HANDLER_BODY, 1)
    source = source.replace("from __future__ import annotations\n", "from __future__ import annotations\n\n" + HANDLER_IMPORTS, 1)
    scaffold.write_text(source)
    return root


@pytest.fixture
def migrated(project: Path, fresh_postgres_url: str) -> str:
    """Return the URL of a migrated database of this test, with the subscriber's own table."""
    run([str(BIN / "alembic"), "upgrade", "heads"], project, service_env(project, fresh_postgres_url))
    execute(fresh_postgres_url, SEEN_TABLE)
    return fresh_postgres_url


async def _consumer_settled(url: str, stream: str, consumer: str) -> bool:
    """Tell whether the durable consumer has nothing pending nor awaiting an ack."""
    import nats

    client = await nats.connect(url)
    try:
        info = await client.jetstream().consumer_info(stream, consumer)
        return info.num_pending == 0 and info.num_ack_pending == 0 and (info.delivered.stream_seq or 0) > 0
    finally:
        await client.close()


async def _dead_letters(url: str, expected: int) -> list[tuple[dict[str, str], bytes]]:
    """Return the (headers, body) of the messages parked on `library.dlq.book_subscriber`, waiting up to 60 s."""
    import nats

    client = await nats.connect(url)
    try:
        stream = client.jetstream()
        deadline = time.monotonic() + 60
        while True:  # the subscriber runner creates the dead-letter stream when it starts
            try:
                subscription = await stream.pull_subscribe("library.dlq.book_subscriber", stream="LIBRARY_DLQ")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        letters: list[tuple[dict[str, str], bytes]] = []
        while len(letters) < expected and time.monotonic() < deadline:
            try:
                messages = await subscription.fetch(10, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                letters.append((dict(message.headers or {}), message.data))
                await message.ack()
        try:
            extra = await subscription.fetch(1, timeout=1)
        except nats.errors.TimeoutError:
            extra = []
        return letters + [({}, b"(another dead letter)") for _ in extra]
    finally:
        await client.close()


def wait_for(condition: object, what: str, seconds: float = 60) -> None:
    """Poll `condition()` every 0.2 s until it is true; fail naming `what` after `seconds`."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_two_replicas_handle_each_event_once_and_park_the_poison_one(
    project: Path, migrated: str, tmp_path: Path
) -> None:
    """40 books over two replicas: 40 rows, one per event; "poison" is tried MAX_DELIVER times, then dead-lettered."""
    nats = private_nats(tmp_path)
    nats.start()
    services: list[Service] = []
    try:
        settings = {"NATS_URL": nats.url, "EVENT_MAX_DELIVER": str(MAX_DELIVER), "EVENT_BACKOFF_SECONDS": "[0.2, 0.5]"}
        services = [Service(project, migrated, **settings) for _ in range(2)]
        titles = [f"book {n}" for n in range(20)] + ["poison"] + [f"book {n}" for n in range(20, 40)]
        poison_id = ""
        for n, title in enumerate(titles):
            service = services[n % 2]
            response = httpx.post(f"{service.base_url}/api/v1/books", json={"title": title}, timeout=10)
            assert response.status_code == 201, response.text
            if title == "poison":
                poison_id = response.json()["bookId"]

        wait_for(lambda: query(migrated, "SELECT count(*) FROM e2e_seen") >= [(40,)], "40 handled events")
        wait_for(
            lambda: asyncio.run(_consumer_settled(nats.url, "LIBRARY_EVENTS", "book_subscriber")),
            "the book_subscriber consumer to settle",
        )
        letters = asyncio.run(_dead_letters(nats.url, 1))

        created = {
            str(row[0]): row[1]
            for row in query(migrated, "SELECT event_id, payload->>'title' FROM events WHERE event_type = 'library.book.created'")
        }
        seen = query(migrated, "SELECT event_id, title, pid FROM e2e_seen")
        # Exactly once: one row per event, none twice, the poison one never committed.
        assert sorted(str(row[0]) for row in seen) == sorted(i for i, t in created.items() if t != "poison")
        assert sorted(str(row[1]) for row in seen) == sorted(t for t in titles if t != "poison")
        handled_by = {row[2] for row in seen}
        assert handled_by <= {s.process.pid for s in services}

        [(headers, body)] = letters
        parked = decode_event(body)
        assert parked.aggregate_id == poison_id and parked.event_type == "library.book.created"
        assert headers["Potter-Deliveries"] == str(MAX_DELIVER)
        assert "RuntimeError: this book cannot be handled" in headers["Potter-Error"]
        assert headers["Potter-Subject"] == "library.events.library.book.created"
        # Its processed-event record was rolled back with the handler; the others were kept.
        processed = query(migrated, "SELECT event_id FROM processed_events WHERE subscriber = 'book_subscriber'")
        assert str(parked.event_id) not in {str(row[0]) for row in processed}
        assert len(processed) == 40
        # Both replicas bound the same durable consumer: JetStream has one, not two.
        assert asyncio.run(_consumer_names(nats.url)) == ["book_subscriber", "member_subscriber"]
    finally:
        for service in services:
            service.stop()
        nats.stop()


async def _consumer_names(url: str) -> list[str]:
    """Return the durable consumers of the events stream, sorted."""
    import nats

    client = await nats.connect(url)
    try:
        consumers = await client.jetstream().consumers_info("LIBRARY_EVENTS")
        return sorted(str(info.name) for info in consumers)
    finally:
        await client.close()
