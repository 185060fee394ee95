"""The generated library service on a real PostgreSQL server, as it is deployed.

`potter-gen init` on the library example; `alembic upgrade heads` (what
`make migrate` runs) on a database of this module; then `python -m library`
as a real process on a free port, driven over HTTP:

- it refuses to start on a database that is not migrated, with one line;
- the migrations create exactly the tables the runtime and read models define;
- 50 concurrent updates of one book: each 2xx stored exactly one event,
  versions are 1..n without a gap, the others got 409 problem+json;
- `kill -9` during a stream of creates: after a restart every 201 the client
  saw is readable, and no aggregate is half-written;
- 20 concurrent creates with one `Idempotency-Key` run once and get one
  answer; the key with another body gets 422;
- with `NATS_URL` (a nats-server of the test's own), every stored event
  reaches JetStream once, with `Nats-Msg-Id` = its event id, also when the
  service is killed after its commits and before the relay published them;
- a command slower than its `timeout_seconds` (held up inside its append's
  transaction) gets 504 problem+json and stores nothing;
- a cacheable query is a hit within its TTL, and fresh on every replica right
  after an event of its aggregate (Redis);
- the generated project's own tests pass on PostgreSQL, and so does a property
  test (random commands, then `replay`, give exactly the live rows) that this
  module adds to them, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text

from examples.demo import free_port, wait_until_serving
from tests.conftest import EXAMPLE_PROTO, POSTGRES_ADMIN_URL, REPO
from tests.runtime.relay.conftest import NATS_SERVER, PrivateNats

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
CHECKS = Path(__file__).parent / "service_checks"


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `command`; fail the test with its output when it exits non-zero."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the library project generated from the example proto."""
    root = tmp_path_factory.mktemp("pg") / "library"
    run([str(BIN / "potter-gen"), "init", "--proto", str(EXAMPLE_PROTO), "--output", str(root)], REPO, dict(os.environ))
    return root


def service_env(project: Path, database_url: str, port: int = 0) -> dict[str, str]:
    """Return the environment of the generated service and its alembic: its src on the path, its database."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "DATABASE_URL": database_url}
    env.pop("CI", None)  # the service must not see the test runner's variables as its settings
    if port:
        env["PORT"] = str(port)
    return env


@pytest.fixture
def migrated(project: Path, fresh_postgres_url: str) -> str:
    """Return the URL of a database of this test, migrated with `alembic upgrade heads`."""
    run([str(BIN / "alembic"), "upgrade", "heads"], project, service_env(project, fresh_postgres_url))
    return fresh_postgres_url


class Service:
    """`python -m library` as a child process on a free port."""

    def __init__(self, project: Path, database_url: str, **settings: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "library"],
            cwd=project,
            env={**service_env(project, database_url, self.port), **settings},
            stdout=subprocess.DEVNULL,
            # A file, not a pipe nobody reads: a full pipe would block the service's logging.
            stderr=(project.parent / f"service-{self.port}.log").open("wb"),
        )
        wait_until_serving(self.base_url, self.process)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL): no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the process if it still runs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def serve(project: Path) -> Iterator[type[Service]]:
    """Start services with `serve(project, url)`; every one started is stopped at the end."""
    started: list[Service] = []

    class Tracked(Service):
        def __init__(self, project: Path, database_url: str, **settings: str) -> None:
            super().__init__(project, database_url, **settings)
            started.append(self)

    yield Tracked
    for service in started:
        service.stop()


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Run one SELECT on the database of `url` and return its rows."""
    async def fetch() -> list[tuple[object, ...]]:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(sql))).all()]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def execute(url: str, sql: str) -> None:
    """Run one statement on the database of `url` in a transaction of its own, and commit it."""
    async def change() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(change())


def test_refuses_an_unmigrated_database_with_one_line(project: Path, fresh_postgres_url: str) -> None:
    """Before `make migrate` the service exits 1 with one line saying to run it; after, it serves."""
    result = subprocess.run(
        [sys.executable, "-m", "library"], cwd=project, env=service_env(project, fresh_postgres_url, free_port()),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `make migrate`" in lines[0] and "not at head" in lines[0], result.stderr


def test_migrations_create_exactly_the_declared_tables(project: Path, migrated: str) -> None:
    """After `alembic upgrade heads`, alembic finds nothing to add or drop against the runtime's and read models' tables."""
    names = {row[0] for row in query(migrated, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert names == {
        "alembic_version", "events", "snapshots", "aggregate_states", "aggregate_counts", "projection_checkpoints", "processed_events",
        "idempotency_keys", "operations", "read_model_book_summary",
    }  # fmt: skip
    indexes = dict(query(migrated, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'aggregate_states'"))
    assert "WHERE ((aggregate_type)::text = 'Book'::text)" in str(indexes["ix_aggregate_states_book_author"])

    # The expression index is left out by the env's include_object hook (alembic cannot reflect it).
    assert metadata_differences(project, migrated) == []


def test_an_appends_lookup_of_one_aggregate_uses_the_primary_key(migrated: str) -> None:
    """The generic plan of a lookup by (aggregate_type, aggregate_id) reads the primary key, not a filter index.

    Regression: the author index began with aggregate_type, like the key, and
    on a new database the generic plan took it, so every append scanned every
    book's index entry and creates slowed as the table grew.
    """

    async def plans() -> list[str]:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(migrated)
        lookups = {
            "s": "SELECT version FROM aggregate_states WHERE aggregate_type = $1 AND aggregate_id = $2",
            "u": "UPDATE aggregate_states SET version = version + 1 WHERE aggregate_type = $1 AND aggregate_id = $2",
        }
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
                found = []
                for name, sql in lookups.items():
                    await conn.exec_driver_sql(f"PREPARE {name}(varchar, varchar) AS {sql}")
                    rows = await conn.exec_driver_sql(f"EXPLAIN EXECUTE {name}('Book', 'b-1')")
                    found.append("\n".join(row[0] for row in rows))
                return found
        finally:
            await engine.dispose()

    for plan in asyncio.run(plans()):
        assert "using pk_aggregate_states" in plan, plan


def metadata_differences(project: Path, url: str) -> list[object]:
    """Return what alembic's autogenerate finds between the database at `url` and the runtime's and read models' tables."""
    sys.path.insert(0, str(project / "src"))
    try:
        from library.application.read_models import metadata as read_model_metadata  # noqa: PLC0415
    finally:
        sys.path.remove(str(project / "src"))
    from potter_runtime.migrations import include_object, runtime_metadata

    async def differences() -> list[object]:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                            MigrationContext.configure(sync, opts={"include_object": include_object}),
                            _merged(runtime_metadata(), read_model_metadata),
                        )
                )
        finally:
            await engine.dispose()

    return asyncio.run(differences())


def _merged(*metadatas: MetaData) -> MetaData:
    merged = MetaData(naming_convention=metadatas[0].naming_convention)
    for metadata in metadatas:
        for table in metadata.tables.values():
            table.to_metadata(merged)
    return merged


def test_concurrent_updates_of_one_book_store_a_gapless_history(serve: type[Service], project: Path, migrated: str) -> None:
    """50 concurrent PATCHes: each 2xx stored one event, versions 1..n, the others 409 problem+json, nothing else stored."""
    service = serve(project, migrated)
    created = httpx.post(f"{service.base_url}/api/v1/books", json={"title": "Dune", "author": "Herbert", "copies": 1})
    assert created.status_code == 201, created.text
    book_id = created.json()["bookId"]

    async def update_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
            return await asyncio.gather(
                *(client.patch(f"/api/v1/books/{book_id}", json={"title": f"title {n}"}) for n in range(50))
            )

    responses = asyncio.run(update_all())
    succeeded = [r for r in responses if r.is_success]
    conflicts = [r for r in responses if r.status_code == 409]
    assert len(succeeded) + len(conflicts) == 50, [r.status_code for r in responses]
    assert succeeded, "no update won"
    for response in conflicts:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "CONFLICT"

    versions = [row[0] for row in query(migrated, f"SELECT version FROM events WHERE aggregate_id = '{book_id}' ORDER BY version")]
    assert versions == list(range(1, len(succeeded) + 2))  # the create, then one per 2xx
    titles = {row[0] for row in query(migrated, f"SELECT payload->>'title' FROM events WHERE aggregate_id = '{book_id}' AND version > 1")}
    assert titles == {r.json()["book"]["title"] for r in succeeded}
    state = query(migrated, f"SELECT version FROM aggregate_states WHERE aggregate_id = '{book_id}'")
    assert state == [(len(succeeded) + 1,)]


def test_kill_9_during_creates_loses_no_acknowledged_book(serve: type[Service], project: Path, migrated: str) -> None:
    """SIGKILL while 8 clients create books: after a restart each 201 is readable and every stream is whole."""
    service = serve(project, migrated)
    acknowledged: list[str] = []
    stop = threading.Event()

    def create_books(worker: int) -> None:
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = client.post("/api/v1/books", json={"title": f"w{worker} n{n}", "author": "a", "copies": 1})
                except httpx.TransportError:
                    return  # the service died under us: this request's outcome is unknown
                if response.status_code == 201:
                    acknowledged.append(response.json()["bookId"])

    workers = [threading.Thread(target=create_books, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    service.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(acknowledged) >= 100, f"only {len(acknowledged)} creates were acknowledged before the kill"

    restarted = serve(project, migrated)
    with httpx.Client(base_url=restarted.base_url, timeout=10) as client:
        missing = [book_id for book_id in acknowledged if client.get(f"/api/v1/books/{book_id}").status_code != 200]
    assert missing == []
    # Every stream that has events has its state row at its last version: nothing half-written.
    torn = query(
        migrated,
        "SELECT e.aggregate_id FROM events e LEFT JOIN aggregate_states s "
        "ON s.aggregate_type = e.aggregate_type AND s.aggregate_id = e.aggregate_id "
        "GROUP BY e.aggregate_id, s.version HAVING s.version IS DISTINCT FROM max(e.version)",
    )
    assert torn == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_generated_tests_and_replay_property(project: Path, postgres_url: str, backend: str, tmp_path: Path) -> None:
    """The project's own tests, plus the replay property test, pass on SQLite and on PostgreSQL."""
    copy = tmp_path / "library"
    shutil.copytree(project, copy)
    shutil.copy(CHECKS / "replay_property.py", copy / "tests" / "test_replay_property.py")
    env = service_env(copy, "")
    env.pop("DATABASE_URL")
    if backend == "postgresql":
        env["TEST_DATABASE_URL"] = POSTGRES_ADMIN_URL
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-v", "-p", "no:cacheprovider", "-p", "no:golden"],
        cwd=copy, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_replay_property.py::test_replay_rebuilds_the_live_read_models PASSED" in result.stdout


def test_one_idempotency_key_runs_one_create(serve: type[Service], project: Path, migrated: str) -> None:
    """20 concurrent POSTs with one key: one book, 20 identical answers; the same key with another body is 422."""
    service = serve(project, migrated)
    headers = {"Idempotency-Key": '"e2e-key-1"'}
    body = {"title": "Solaris", "author": "Lem", "copies": 2}

    async def create_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
            return await asyncio.gather(*(client.post("/api/v1/books", json=body, headers=headers) for _ in range(20)))

    responses = asyncio.run(create_all())
    assert {r.status_code for r in responses} == {201}, [(r.status_code, r.text) for r in responses]
    assert len({r.json()["bookId"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    assert query(migrated, "SELECT count(*) FROM events") == [(1,)]
    other = httpx.post(f"{service.base_url}/api/v1/books", json={**body, "title": "Eden"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_MISMATCH", other.text


def test_events_reach_jetstream_once_with_their_ids(
    serve: type[Service], project: Path, migrated: str, tmp_path: Path
) -> None:
    """With NATS_URL, the outbox relay publishes every stored event once, Nats-Msg-Id = its event id."""
    nats = private_nats(tmp_path)
    nats.start()
    try:
        service = serve(project, migrated, NATS_URL=nats.url)
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            for n in range(20):
                assert client.post("/api/v1/books", json={"title": f"t{n}"}).status_code == 201
        stored = {str(row[0]) for row in query(migrated, "SELECT event_id FROM events")}
        received = asyncio.run(_jetstream_ids(nats.url, len(stored)))
        assert sorted(received) == sorted(stored)
    finally:
        nats.stop()


def private_nats(tmp_path: Path) -> PrivateNats:
    """Return a nats-server of this test's own (not started); skip, or fail with CI=true, without the binary."""
    if not Path(NATS_SERVER).exists():
        reason = f"nats-server not found at {NATS_SERVER}; install it or set POTTER_TEST_NATS_SERVER"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return PrivateNats(store_dir=tmp_path / "nats")


def test_a_broker_outage_loses_no_event(serve: type[Service], project: Path, migrated: str, tmp_path: Path) -> None:
    """500 creates while NATS is down all succeed; once it is back, JetStream holds every event exactly once."""
    nats = private_nats(tmp_path)
    nats.start()
    try:
        service = serve(project, migrated, NATS_URL=nats.url)
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            assert client.post("/api/v1/books", json={"title": "before"}).status_code == 201
            nats.stop()
            statuses = [client.post("/api/v1/books", json={"title": f"t{n}"}).status_code for n in range(500)]
        assert statuses == [201] * 500
        nats.start()  # same port and store directory: the relay reconnects and catches up
        stored = {str(row[0]) for row in query(migrated, "SELECT event_id FROM events")}
        assert len(stored) == 501
        received = asyncio.run(_jetstream_ids(nats.url, len(stored)))
        assert sorted(received) == sorted(stored)
    finally:
        nats.stop()


async def _jetstream_ids(url: str, expected: int) -> list[str]:
    """Return the Nats-Msg-Id of every message on `library.events.>`, waiting up to 30 s for `expected` of them."""
    import nats

    client = await nats.connect(url)
    try:
        stream = client.jetstream()
        deadline = time.monotonic() + 30
        while True:  # the relay creates the stream with its first batch
            try:
                subscription = await stream.pull_subscribe("library.events.>")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        ids: list[str] = []
        while len(ids) < expected and time.monotonic() < deadline:
            try:
                messages = await subscription.fetch(100, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
                await message.ack()
        try:
            extra = await subscription.fetch(1, timeout=1)
        except nats.errors.TimeoutError:
            extra = []
        return ids + ["(duplicate)" for _ in extra]
    finally:
        await client.close()


def test_a_kill_between_commit_and_publish_loses_and_duplicates_nothing(
    serve: type[Service], project: Path, migrated: str, tmp_path: Path
) -> None:
    """Events committed while NATS is down, then `kill -9` before the relay published them: the restart publishes each once."""
    nats = private_nats(tmp_path)
    nats.start()
    try:
        service = serve(project, migrated, NATS_URL=nats.url)
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            assert client.post("/api/v1/books", json={"title": "published"}).status_code == 201
            asyncio.run(_jetstream_ids(nats.url, 1))  # the relay has published and checkpointed the first one
            nats.stop()  # the failpoint: commits succeed, publishing cannot
            statuses = [client.post("/api/v1/books", json={"title": f"pending {n}"}).status_code for n in range(50)]
        assert statuses == [201] * 50
        service.kill()
        nats.start()
        serve(project, migrated, NATS_URL=nats.url)
        stored = {str(row[0]) for row in query(migrated, "SELECT event_id FROM events")}
        assert len(stored) == 51
        received = asyncio.run(_jetstream_ids(nats.url, len(stored)))
        assert sorted(received) == sorted(stored)
    finally:
        nats.stop()


# BorrowBook (`timeout_seconds: 5`) written as a user would: load, record, save.
BORROW_HANDLER = '''"""BorrowBook command handler, written by the timeout test."""

from __future__ import annotations

from library.application.bases import BorrowBookHandlerBase
from library.application.messages import BorrowBookRequest, BorrowBookResponse
from library.domain.models import BookBorrowed


class BorrowBookHandler(BorrowBookHandlerBase):
    async def handle(self, request: BorrowBookRequest) -> BorrowBookResponse:
        aggregate = await self.repository.get(request.book_id)
        aggregate.record(BookBorrowed(book_id=aggregate.id, member_id=request.member_id))
        await self.repository.save(aggregate)
        return BorrowBookResponse(on_loan=1)
'''


def test_a_command_past_its_timeout_gets_504_and_stores_nothing(
    serve: type[Service], project: Path, fresh_postgres_url: str, tmp_path: Path
) -> None:
    """BorrowBook held up inside its append's transaction past its 5 s: 504 problem+json, no event, state unchanged."""
    copy = tmp_path / "library"
    shutil.copytree(project, copy)
    (copy / "src" / "library" / "application" / "commands" / "borrow_book.py").write_text(BORROW_HANDLER)
    run([str(BIN / "alembic"), "upgrade", "heads"], copy, service_env(copy, fresh_postgres_url))
    service = serve(copy, fresh_postgres_url)
    with httpx.Client(base_url=service.base_url, timeout=30) as client:
        book_id = client.post("/api/v1/books", json={"title": "Dune", "copies": 2}).json()["bookId"]
        borrow = "/api/v1/books/borrow_book"
        assert client.post(borrow, json={"bookId": book_id, "memberId": "m1"}).status_code == 200  # the handler works when not held up

        async def borrow_while_the_state_row_is_locked() -> httpx.Response:
            from sqlalchemy.ext.asyncio import create_async_engine

            engine = create_async_engine(fresh_postgres_url)
            try:
                async with engine.begin() as conn:
                    # The append inserts the event, then blocks on this row lock until the deadline cancels it.
                    await conn.execute(text(f"SELECT 1 FROM aggregate_states WHERE aggregate_id = '{book_id}' FOR UPDATE"))
                    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as async_client:
                        return await async_client.post(borrow, json={"bookId": book_id, "memberId": "m2"})
            finally:
                await engine.dispose()

        response = asyncio.run(borrow_while_the_state_row_is_locked())
        assert response.status_code == 504, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "DEADLINE_EXCEEDED"
        versions = [row[0] for row in query(fresh_postgres_url, f"SELECT version FROM events WHERE aggregate_id = '{book_id}' ORDER BY version")]
        assert versions == [1, 2]  # the create and the first borrow; nothing of the timed-out one
        assert query(fresh_postgres_url, f"SELECT version FROM aggregate_states WHERE aggregate_id = '{book_id}'") == [(2,)]
        # The service is not left stuck: the next borrow succeeds and gets the next version.
        assert client.post(borrow, json={"bookId": book_id, "memberId": "m3"}).status_code == 200
        assert query(fresh_postgres_url, f"SELECT max(version) FROM events WHERE aggregate_id = '{book_id}'") == [(3,)]


def test_a_cached_query_is_a_hit_within_its_ttl_and_fresh_after_an_event_on_every_replica(
    serve: type[Service], project: Path, migrated: str, redis_url: str
) -> None:
    """GetBook (cacheable, TTL 60 s) on two replicas sharing Redis: a change behind the service is not seen (a hit);
    an update through one replica is seen at once by the other."""
    # A Redis database of this test (1-15), so other runs' generation counters do not turn its hits into misses.
    url = redis_url.rsplit("/", 1)[0] + f"/{random.randint(1, 15)}"
    first, second = serve(project, migrated, REDIS_URL=url), serve(project, migrated, REDIS_URL=url)
    book_id = httpx.post(f"{first.base_url}/api/v1/books", json={"title": "Dune", "copies": 1}).json()["bookId"]
    path = f"/api/v1/books/{book_id}"

    miss = httpx.get(second.base_url + path)
    assert miss.status_code == 200 and miss.json()["book"]["title"] == "Dune"
    assert miss.headers["Cache-Control"] == "max-age=60"
    # Behind the service's back: a hit still answers the cached title, with its age.
    execute(migrated, f"UPDATE aggregate_states SET state = jsonb_set(state, '{{title}}', '\"Changed\"') WHERE aggregate_id = '{book_id}'")
    for replica in (first, second):
        hit = httpx.get(replica.base_url + path)
        assert hit.json()["book"]["title"] == "Dune", f"{replica.base_url} missed the cache"
        assert hit.headers["Cache-Control"] == "max-age=60" and int(hit.headers["Age"]) >= 0
    # An event of the book through one replica: both answer fresh right away.
    assert httpx.patch(first.base_url + path, json={"title": "Dune Messiah"}).is_success
    for replica in (second, first):
        assert httpx.get(replica.base_url + path).json()["book"]["title"] == "Dune Messiah"
