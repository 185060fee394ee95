"""Fixtures of the relay tests: the machine's NATS, private nats-servers, event stores.

NATS: ``POTTER_TEST_NATS_URL`` (default ``nats://127.0.0.1:4222``) must answer
with JetStream enabled; each test gets a module name (so subjects and streams)
of its own and its streams are deleted afterwards. An unreachable server skips
the test with the reason, or fails it when CI=true. ``private_nats`` starts
``/usr/sbin/nats-server`` processes of the test's own (own port and store
directory) and stops exactly those, whatever the test's outcome.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nats
import pytest
from nats.js.errors import NotFoundError

from potter_runtime.relay import stream_name
from potter_runtime.store.postgres import PostgresEventStore
from potter_runtime.store.sql import SqlAlchemyEventStore
from potter_runtime.store.sqlite import SqliteEventStore

from .support import seen_metadata

NATS_URL = os.environ.get("POTTER_TEST_NATS_URL", "nats://127.0.0.1:4222")
NATS_SERVER = os.environ.get("POTTER_TEST_NATS_SERVER", shutil.which("nats-server") or "/usr/sbin/nats-server")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def nats_url() -> str:
    """URL of the machine's NATS server, checked once to answer JetStream requests."""

    async def probe() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    try:
        # In a thread of its own: the first test asking may already run an event loop.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, probe()).result()
    except Exception as exc:
        _unavailable(
            f"NATS with JetStream at {NATS_URL} is not usable ({type(exc).__name__}: {exc}); "
            "start it with `bash .ci/services nats` or set POTTER_TEST_NATS_URL"
        )
    return NATS_URL


@pytest.fixture
async def module(nats_url: str) -> AsyncIterator[str]:
    """A service package name of this test alone; its JetStream streams are deleted afterwards."""
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    await delete_streams(nats_url, name)


async def delete_streams(url: str, module_name: str) -> None:
    nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        js = nc.jetstream()
        for suffix in ("EVENTS", "DLQ"):
            try:
                await js.delete_stream(stream_name(module_name, suffix))
            except NotFoundError:
                pass
    finally:
        await nc.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database of this test: a SQLite file or a PostgreSQL database."""
    # A sync fixture: the PostgreSQL fixtures run asyncio.run, which an async fixture cannot call.
    if backend == "postgres":
        return str(request.getfixturevalue("fresh_postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"


@pytest.fixture
async def event_store(backend: str, database_url: str) -> AsyncIterator[SqlAlchemyEventStore]:
    """An event store on an empty database of this test: SQLite file or PostgreSQL database."""
    store: SqlAlchemyEventStore
    if backend == "postgres":
        store = PostgresEventStore(database_url)
    else:
        store = SqliteEventStore(database_url)
    await store.create_schema()
    yield store
    await store.close()


@pytest.fixture
async def pg_store(fresh_postgres_url: str) -> AsyncIterator[PostgresEventStore]:
    store = PostgresEventStore(fresh_postgres_url)
    await store.create_schema()
    yield store
    await store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateNats:
    """A nats-server with JetStream on its own port and store directory, started and stopped by a test."""

    store_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    """A private nats-server (not yet started); stopped at the end of the test whatever happens."""
    if not Path(NATS_SERVER).exists():
        _unavailable(f"nats-server not found at {NATS_SERVER}; install it or set POTTER_TEST_NATS_SERVER")
    server = PrivateNats(store_dir=tmp_path / "nats-store")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def store(event_store: SqlAlchemyEventStore) -> AsyncIterator[SqlAlchemyEventStore]:
    """``event_store`` with the ``seen_events`` table of the test subscribers."""
    async with event_store.engine.begin() as conn:
        await conn.run_sync(seen_metadata.create_all)
    yield event_store
