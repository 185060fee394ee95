"""``EventStore`` on PostgreSQL (SQLAlchemy 2 async over asyncpg).

Positions come from a BIGSERIAL, which hands out numbers in insert order, not
commit order: without care a reader could see position 8 committed while 7 is
still in flight, move its checkpoint past 7 and never see it. So every append
takes one transaction-scoped advisory lock (``pg_advisory_xact_lock``, the
append lock) before its events get positions, and holds it until it commits:
appends commit one at a time in position order, while readers are never
blocked. (The ``eventsourcing`` library takes ``LOCK TABLE … EXCLUSIVE`` for
the same reason; the advisory lock can be taken inside the append's own
statement.) PostgreSQL docs, "Explicit Locking" → "Advisory Locks".

An append is one statement (``_APPEND_SQL``): the lock, the version check, the
events' INSERT, the state row's UPDATE or INSERT and the kind's live count, as
data-modifying CTEs. ``append`` sends it on an autocommit connection, so it is
its own transaction: one round trip, and the lock is held only for the time
the server takes to run and commit it, never across the client's event loop.

``append`` runs that statement on the driver's connection (``store/driver.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Executable, TextClause, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from potter_runtime.errors import ConcurrencyError
from potter_runtime.store.driver import DriverStatement, driver_connection
from potter_runtime.store.port import NewEvent
from potter_runtime.store.schema import snapshots_table
from potter_runtime.store.sql import SqlAlchemyEventStore, check_appendable

#: The append lock's advisory key (bigint): the first 8 bytes of SHA-256("potter_runtime.events.append").
APPEND_LOCK_KEY = int.from_bytes(hashlib.sha256(b"potter_runtime.events.append").digest()[:8], "big", signed=True)

# Unique constraints whose violation means another writer appended to the stream first.
_CONCURRENT_WRITE_CONSTRAINTS = frozenset({"uq_events_aggregate_type_aggregate_id_version", "pk_aggregate_states"})

_LOCK = "(SELECT pg_advisory_xact_lock(CAST(:lock_key AS bigint))) IS NOT NULL"
_LOCK_WITH_TIMEOUT = (
    "(SELECT pg_advisory_xact_lock(CAST(:lock_key AS bigint)) "
    "FROM (SELECT set_config('lock_timeout', CAST(:lock_timeout AS text), true)) AS lock_timeout) IS NOT NULL"
)
_STREAM = "aggregate_type = CAST(:aggregate_type AS varchar) AND aggregate_id = CAST(:aggregate_id AS varchar)"
_CURRENT_VERSION = f"(SELECT coalesce(max(version), 0) FROM events WHERE {_STREAM})"

# The lock is a one-time filter of the INSERT's source, so it is held before
# the first row takes a position (nextval runs as rows reach the INSERT). The
# version check reads the statement's snapshot, taken before the lock wait; a
# writer that committed meanwhile stored the next version, so the INSERT then
# fails on UNIQUE(aggregate_type, aggregate_id, version): the check is exact.
_APPEND_EVENTS = f"""
WITH appended AS (
    INSERT INTO events (event_id, aggregate_type, aggregate_id, version, event_type, event_version,
                        payload, metadata, recorded_at)
    SELECT e.event_id, CAST(:aggregate_type AS varchar), CAST(:aggregate_id AS varchar), e.version,
           e.event_type, e.event_version, CAST(e.payload AS jsonb), CAST(e.metadata AS jsonb),
           CAST(:recorded_at AS timestamptz)
    FROM unnest(CAST(:event_ids AS uuid[]), CAST(:versions AS integer[]), CAST(:event_types AS varchar[]),
                CAST(:event_versions AS integer[]), CAST(:payloads AS text[]), CAST(:metadata AS text[]))
         WITH ORDINALITY AS e(event_id, version, event_type, event_version, payload, metadata, n)
    WHERE {{lock}} AND {_CURRENT_VERSION} = CAST(:expected_version AS integer)
    ORDER BY e.n
    RETURNING version
)"""

# The state row and the kind's live count, written only when the events were.
_WRITE_STATE = f"""
, updated AS (
    UPDATE aggregate_states
    SET version = CAST(:new_version AS integer), state = CAST(:state AS jsonb),
        updated_at = CAST(:recorded_at AS timestamptz)
    WHERE {_STREAM} AND EXISTS (SELECT FROM appended)
    RETURNING 1
), inserted AS (
    INSERT INTO aggregate_states (aggregate_type, aggregate_id, version, state, updated_at)
    SELECT CAST(:aggregate_type AS varchar), CAST(:aggregate_id AS varchar), CAST(:new_version AS integer),
           CAST(:state AS jsonb), CAST(:recorded_at AS timestamptz)
    WHERE EXISTS (SELECT FROM appended) AND NOT EXISTS (SELECT FROM updated)
    RETURNING 1
), counted AS (
    INSERT INTO aggregate_counts (aggregate_type, live)
    SELECT CAST(:aggregate_type AS varchar), 1 FROM inserted
    ON CONFLICT (aggregate_type) DO UPDATE SET live = aggregate_counts.live + 1
)"""

_DELETE_STATE = f"""
, removed AS (
    DELETE FROM aggregate_states WHERE {_STREAM} AND EXISTS (SELECT FROM appended) RETURNING 1
), counted AS (
    UPDATE aggregate_counts SET live = live - 1
    WHERE aggregate_type = CAST(:aggregate_type AS varchar) AND EXISTS (SELECT FROM removed)
)"""

_RESULT = f"""
SELECT (SELECT count(*) FROM appended) AS appended, {_CURRENT_VERSION} AS found"""


def _append_statement(state_change: str, *, timeout: bool) -> TextClause:
    head = _APPEND_EVENTS.replace("{lock}", _LOCK_WITH_TIMEOUT if timeout else _LOCK)
    return text(head + state_change + _RESULT)


class PostgresEventStore(SqlAlchemyEventStore):
    """``EventStore`` on PostgreSQL.

    Args:
        url: ``postgresql+asyncpg://user:password@host:5432/database``.
        lock_timeout: Longest wait for the append lock (seconds, > 0), after
            which the append fails with ``sqlalchemy.exc.DBAPIError``; None
            waits as long as PostgreSQL's own ``lock_timeout`` setting allows.
        engine_options: Extra ``create_async_engine`` keyword arguments, e.g.
            ``pool_size`` (connections kept open, int; the most it opens, as
            ``max_overflow`` defaults to 0 here) or ``pool_pre_ping=True``
            (test each connection with a round trip before use; off by
            default: a connection the server closed fails one request, and
            SQLAlchemy then discards the pool's older connections).
    """

    def __init__(self, url: str, *, lock_timeout: float | None = None, **engine_options: Any) -> None:
        super().__init__(url, **engine_options)
        self.lock_timeout = lock_timeout
        timeout = lock_timeout is not None
        self._statements = {
            "state": _append_statement(_WRITE_STATE, timeout=timeout),
            "deleted": _append_statement(_DELETE_STATE, timeout=timeout),
            "events": _append_statement("", timeout=timeout),
        }
        self._driver_statements = {
            kind: DriverStatement.of(statement, self.engine.dialect) for kind, statement in self._statements.items()
        }

    def _engine_options(self) -> dict[str, Any]:
        # No overflow connections: under load SQLAlchemy opens one per request beyond
        # ``pool_size`` and closes it on return, a new connection (and its prepared
        # statements) per request. A request waits for a pooled one instead.
        return {"max_overflow": 0}

    async def _lock_for_append(self, conn: AsyncConnection) -> None:
        params: dict[str, Any] = {"lock_key": APPEND_LOCK_KEY}
        if self.lock_timeout is None:
            await conn.execute(text("SELECT pg_advisory_xact_lock(CAST(:lock_key AS bigint))"), params)
            return
        params["lock_timeout"] = self._lock_timeout_setting()
        await conn.execute(text(f"SELECT {_LOCK_WITH_TIMEOUT}"), params)

    def _lock_timeout_setting(self) -> str:
        assert self.lock_timeout is not None
        return f"{max(1, round(self.lock_timeout * 1000))}ms"

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        state: dict[str, Any] | None = None,
        deleted: bool = False,
    ) -> int:
        """Append events as one statement in a transaction of its own; see ``EventStore.append``.

        Raises:
            ConcurrencyError: The stream is not at ``expected_version``.
            InvalidArgumentError: A payload or the state holds U+0000.
            sqlalchemy.exc.IntegrityError: An event id is already stored.
            sqlalchemy.exc.DBAPIError: The append lock was not granted within
                ``lock_timeout``, or the connection failed (it is discarded).
        """
        if not events:
            return expected_version
        kind, params = self._append_parameters(aggregate_type, aggregate_id, expected_version, events, state, deleted)
        statement = self._driver_statements[kind]
        with _conflicts_as_concurrency_errors(aggregate_type, aggregate_id, expected_version):
            async with driver_connection(self.engine, statement.sql) as driver:
                row = await driver.fetchrow(statement.sql, *statement.arguments(params))
        return _appended(row, aggregate_type, aggregate_id, expected_version, len(events))

    async def append_in(
        self,
        conn: AsyncConnection,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        state: dict[str, Any] | None = None,
        deleted: bool = False,
    ) -> int:
        """Append events with one statement on ``conn``; see ``SqlAlchemyEventStore.append_in``.

        The statement takes the append lock, which stays held until ``conn``'s
        transaction ends (at once on an autocommit connection).

        Raises:
            ConcurrencyError: The stream is not at ``expected_version``; in a
                transaction of the caller's, it must be rolled back.
            InvalidArgumentError: A payload or the state holds U+0000.
            sqlalchemy.exc.IntegrityError: An event id is already stored.
            sqlalchemy.exc.DBAPIError: The append lock was not granted within ``lock_timeout``.
        """
        if not events:
            return expected_version
        kind, params = self._append_parameters(aggregate_type, aggregate_id, expected_version, events, state, deleted)
        with _conflicts_as_concurrency_errors(aggregate_type, aggregate_id, expected_version):
            row = (await conn.execute(self._statements[kind], params)).one()
        return _appended(row, aggregate_type, aggregate_id, expected_version, len(events))

    def _append_parameters(
        self,
        aggregate_type: str,
        aggregate_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        state: dict[str, Any] | None,
        deleted: bool,
    ) -> tuple[str, dict[str, Any]]:
        """Return which append statement applies ("state", "deleted" or "events") and its parameters."""
        check_appendable(aggregate_type, events, state)
        new_version = expected_version + len(events)
        kind = "deleted" if deleted else "state" if state is not None else "events"
        serialise: Callable[[Any], str] = getattr(self.engine.dialect, "_json_serializer", None) or json.dumps
        params: dict[str, Any] = {
            "lock_key": APPEND_LOCK_KEY,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "expected_version": expected_version,
            "recorded_at": datetime.now(UTC),
            "event_ids": [event.event_id for event in events],
            "versions": list(range(expected_version + 1, new_version + 1)),
            "event_types": [event.event_type for event in events],
            "event_versions": [event.event_version for event in events],
            "payloads": [serialise(event.payload) for event in events],
            "metadata": [serialise(event.metadata.to_json()) for event in events],
        }
        if kind != "events":
            params["new_version"] = new_version
        if kind == "state":
            params["state"] = serialise(state)
        if self.lock_timeout is not None:
            params["lock_timeout"] = self._lock_timeout_setting()
        return kind, params

    def _upsert_snapshot(self, row: dict[str, Any]) -> Executable:
        statement = insert(snapshots_table).values(row)
        return statement.on_conflict_do_update(
            index_elements=["aggregate_type", "aggregate_id"],
            set_={name: statement.excluded[name] for name in ("version", "state", "schema_fingerprint", "recorded_at")},
            # A slow writer must not replace a newer snapshot with an older one.
            where=snapshots_table.c.version < statement.excluded.version,
        )


def _appended(row: Sequence[Any], aggregate_type: str, aggregate_id: str, expected: int, count: int) -> int:
    """Return the stream's new version from the append statement's row (appended, found).

    Raises:
        ConcurrencyError: The version check filtered the events out.
    """
    appended, found = row[0], row[1]
    if appended != count:
        raise _conflict(aggregate_type, aggregate_id, expected, f"version {found}")
    return expected + count


@contextmanager
def _conflicts_as_concurrency_errors(aggregate_type: str, aggregate_id: str, expected: int) -> Iterator[None]:
    """Raise ConcurrencyError for a unique violation that means another writer appended to the stream first.

    Raises:
        ConcurrencyError: The stream's version or state row was written concurrently.
        sqlalchemy.exc.IntegrityError: Any other constraint (an event id already stored).
    """
    try:
        yield
    except IntegrityError as error:
        if _constraint(error) in _CONCURRENT_WRITE_CONSTRAINTS:
            raise _conflict(aggregate_type, aggregate_id, expected, "a later one") from error
        raise


def _constraint(error: IntegrityError) -> str | None:
    """Return the name of the constraint asyncpg reports for an integrity error, if any."""
    cause = getattr(error.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)


def _conflict(aggregate_type: str, aggregate_id: str, expected: int, found: str) -> ConcurrencyError:
    return ConcurrencyError(
        f"{aggregate_type} '{aggregate_id}' was modified concurrently: expected "
        f"version {expected}, found {found}; reload and retry"
    )
