"""SQLAlchemy Core tables of the event store, defined once for every backend and alembic.

``events`` and ``snapshots`` hold the streams; ``aggregate_states`` is the state
projection each append updates in its own transaction; ``projection_checkpoints``
records how far each named projection has read. All runtime tables live here so
that ``metadata`` is complete whatever was imported.

``metadata`` is the MetaData all runtime tables join (read models add theirs);
``potter_runtime.migrations`` hands it to a project's alembic environment.
Column types adapt per dialect: JSONB and native UUID on PostgreSQL, JSON text
and CHAR(32) on SQLite. This module must not open connections.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

# Stable constraint names let alembic compare and migrate them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JsonObject = JSON().with_variant(JSONB(), "postgresql")
"""A JSON object column: JSONB on PostgreSQL (indexable), JSON text elsewhere."""

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL gets BIGSERIAL.
Position = BigInteger().with_variant(Integer(), "sqlite")

events_table = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", Uuid(), nullable=False, unique=True),
    Column("aggregate_type", String(200), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("event_version", Integer, nullable=False),
    Column("payload", JsonObject, nullable=False),
    Column("metadata", JsonObject, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # Optimistic concurrency: two writers can never both store one stream version.
    # Its index also serves loading a stream and listing a kind's ids.
    UniqueConstraint("aggregate_type", "aggregate_id", "version"),
)

snapshots_table = Table(
    "snapshots",
    metadata,
    Column("aggregate_type", String(200), primary_key=True),
    Column("aggregate_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonObject, nullable=False),
    Column("schema_fingerprint", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# The state projection: each live aggregate's latest state, written by the
# append that changed it (same transaction), read by potter_runtime.readmodels.
aggregate_states_table = Table(
    "aggregate_states",
    metadata,
    # The primary key's index serves get, and lists ordered by id within a kind.
    Column("aggregate_type", String(200), primary_key=True),
    Column("aggregate_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", JsonObject, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# How many live aggregates of each kind the state projection holds, kept with
# each state row's insert or delete (same transaction, under the append lock), so
# an unfiltered List's total is one row read however many aggregates there are.
aggregate_counts_table = Table(
    "aggregate_counts",
    metadata,
    Column("aggregate_type", String(200), primary_key=True),
    Column("live", BigInteger, nullable=False),
)

# How far each named projection (potter_runtime.readmodels) has read events by position.
projection_checkpoints_table = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- Event subscribers (potter_runtime.relay.subscribers) ---------------------
# One row per event a subscriber has handled, inserted in the handler's own
# transaction: a redelivered event hits the primary key and is skipped, so each
# event takes effect once per subscriber although the broker delivers at least once.
processed_events_table = Table(
    "processed_events",
    metadata,
    Column("subscriber", String(200), primary_key=True),
    Column("event_id", Uuid(), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# --- idempotency keys (potter_runtime.idempotency) --------------------------
# One row per Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the
# primary key is what lets exactly one of concurrent duplicates claim it (insert
# first, never check-then-insert). ``result`` is NULL while the first request
# runs; ``locked_until`` lets another take over a claim whose process died, unless
# its events were committed (they carry the key in their metadata).
idempotency_keys_table = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("rpc", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JsonObject, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=False),
    # Purging expired keys scans by this column.
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# --- async command operations (potter_runtime.operations) -------------------
# One row per accepted async command (AIP-151 long-running operation): written
# ``pending`` before the 202 answer, claimed ``running`` by a worker (which holds
# it until ``locked_until``; a worker that died loses it then), ended
# ``succeeded`` with the response or ``failed`` with the problem details.
operations_table = Table(
    "operations",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("rpc", String(200), nullable=False),
    # Workers look for pending and abandoned running operations by status.
    Column("status", String(20), nullable=False, index=True),
    Column("request", JsonObject, nullable=False),
    Column("response", JsonObject, nullable=True),
    Column("problem", JsonObject, nullable=True),
    Column("correlation_id", String(200), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)
