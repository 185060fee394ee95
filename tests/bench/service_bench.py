"""`make bench-service`: the generated library service against a hand-written FastAPI + SQLAlchemy one, on PostgreSQL.

Issue 13's service targets, each a ratio measured in the same run:

1. create: throughput ≥ 0.8× the baseline INSERT endpoint's, p99 ≤ 1.5× its p99;
2. List, page size 50, at 1k, 10k and 100k books: p50 ≤ 1.5× the baseline's
   `SELECT … ORDER BY id LIMIT 50`, and p50 at 100k ≤ 1.5× p50 at 1k;
3. Get of a book with 10,000 events, snapshots on (every 100): p50 ≤ 3× Get
   of a one-event book.

And issue 14's: an idempotent create (a new `Idempotency-Key` on each
request) p50 ≤ 1.2× a plain create's, loaded in the create phase; the outbox
relay publishes ≥ 5,000 events/s from PostgreSQL to NATS JetStream
(`relay_bench.py`, 20,000 seeded events, median of the runs; NATS at
`POTTER_TEST_NATS_URL`, default `nats://127.0.0.1:4222`; without it the row
says "not measured").

Two phases, each in fresh PostgreSQL databases (one per service, created and
dropped here): create; then the reads (List at growing sizes, then Get).
The generated service is `potter-gen init` of `examples/library/library.proto`,
migrated (`alembic upgrade heads`) when the project has `alembic.ini`. A
generated service that refuses a PostgreSQL URL (before issue 13) is run on
SQLite instead, and the report says so. Load: wrk (`service_load.py`).
Writes the "Service" section of `docs/benchmarks.md` (`service_report.py`);
it asserts nothing.

Usage: python tests/bench/service_bench.py [--seconds 20] [--runs 3]
       [--sizes 1000,10000,100000] [--long-events 10000] [--project DIR] [--out docs]
While developing, use a short run: `--seconds 3 --runs 1` (the report marks it).
Exit status 2 when wrk or PostgreSQL is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats.errors
from relay_bench import measure_relay
from service_load import Load, Target, measure_interleaved, wrk_path, wrk_version
from service_report import ServiceResults, write_service_section
from service_seed import Shapes, capture_shapes, grow_stream, seed_baseline, seed_generated
from service_servers import (
    REPO,
    Server,
    ServerFailed,
    fresh_database,
    generate_library,
    migrate,
    postgres_reason,
    postgres_version,
    start_baseline,
    start_generated,
)

PAGE = 50
RELAY_EVENTS = 20_000


class Bench:
    """One benchmark run: the generated project, where logs go, and what was measured so far."""

    def __init__(self, work: Path, seconds: float, runs: int, results: ServiceResults, project: Path | None) -> None:
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir()
        self.project = project or generate_library(work / "library")
        self.seconds = seconds
        self.runs = runs
        self.results = results

    def measure(self, targets: list[Target]) -> list[Load]:
        return measure_interleaved(targets, self.seconds, self.runs)

    @contextlib.contextmanager
    def services(self, label: str) -> Iterator[tuple[Server, Server]]:
        """Start both services on fresh databases; stop them and drop the databases afterwards."""
        with fresh_database(f"{label}_base") as base_url, fresh_database(f"{label}_gen") as gen_url:
            baseline = start_baseline(base_url, self.logs)
            try:
                generated = self._start_generated(gen_url, label)
                try:
                    yield baseline, generated
                finally:
                    generated.stop()
            finally:
                baseline.stop()

    def _start_generated(self, database_url: str, label: str) -> Server:
        """Start the generated service on PostgreSQL, or on SQLite when it refuses PostgreSQL."""
        try:
            self.results.migrated = migrate(self.project, database_url)
            server = start_generated(self.project, database_url, self.logs)
            self.results.storage = "PostgreSQL"
            return server
        except ServerFailed as error:
            last = next((ln for ln in reversed(str(error).splitlines()) if ln.strip()), "")
            print(f"  the generated service refused PostgreSQL ({last}); running it on SQLite", flush=True)
        sqlite_url = f"sqlite+aiosqlite:///{self.work / f'{label}.db'}"
        self.results.migrated = migrate(self.project, sqlite_url)
        self.results.storage = "SQLite (this version of the generated service does not start on PostgreSQL)"
        return start_generated(self.project, sqlite_url, self.logs)

    def create_phase(self) -> None:
        print("create", flush=True)
        with self.services("create") as (baseline, generated):
            url = f"{generated.base_url}/api/v1/books"
            base, gen, idempotent = self.measure(
                [
                    Target(f"{baseline.base_url}/books", "POST"),
                    Target(url, "POST"),
                    Target(url, "POST", idempotent=True),
                ]
            )
        self.results.create = {"baseline": base, "generated": gen, "idempotent": idempotent}

    def relay_phase(self) -> None:
        """Time the outbox relay from PostgreSQL to NATS JetStream (`relay_bench.py`); skipped without NATS."""
        print("outbox relay to JetStream", flush=True)
        try:
            self.results.relay = measure_relay(events=RELAY_EVENTS, runs=self.runs)
        except (OSError, nats.errors.Error) as error:
            self.results.relay_note = f"not measured: {type(error).__name__}: {error}"

    def read_phase(self, sizes: list[int], long_events: int) -> None:
        with self.services("reads") as (baseline, generated):
            shapes = asyncio.run(capture_shapes(generated.base_url, generated.database_url))
            books = 1  # the book capture_shapes created
            for size in sizes:
                print(f"List at {size:,} books: seeding", flush=True)
                asyncio.run(seed_baseline(baseline.database_url, size))
                asyncio.run(seed_generated(generated.database_url, shapes, size - books, start=books))
                books = size
                print(f"List at {size:,} books: measuring", flush=True)
                base, gen = self.measure(
                    [
                        Target(f"{baseline.base_url}/books?limit={PAGE}", expect_items=PAGE),
                        Target(f"{generated.base_url}/api/v1/books?pageSize={PAGE}", expect_items=PAGE),
                    ]
                )
                self.results.lists[size] = {"baseline": base, "generated": gen}
            self._get_phase(baseline, generated, shapes, long_events)

    def _get_phase(self, baseline: Server, generated: Server, shapes: Shapes, long_events: int) -> None:
        print(f"Get: growing one book to {long_events:,} events", flush=True)
        book = {"title": "Get me", "author": "Bench Author", "copies": 3}
        one = httpx.post(f"{generated.base_url}/api/v1/books", json=book, timeout=60).json()["bookId"]
        long_id = shapes.aggregate_id
        # The captured book holds 2 events; the last one goes through HTTP so the service snapshots it.
        asyncio.run(grow_stream(generated.database_url, shapes, long_id, 2, long_events - 1))
        updated = httpx.patch(
            f"{generated.base_url}/api/v1/books/{long_id}", json={**book, "title": "Long"}, timeout=600
        )
        updated.raise_for_status()
        base_id = httpx.get(f"{baseline.base_url}/books?limit=1", timeout=60).json()[0]["id"]
        print("Get: measuring", flush=True)
        base, gen_one, gen_long = self.measure(
            [
                Target(f"{baseline.base_url}/books/{base_id}"),
                Target(f"{generated.base_url}/api/v1/books/{one}"),
                Target(f"{generated.base_url}/api/v1/books/{long_id}"),
            ]
        )
        self.results.get_baseline, self.results.get_one, self.results.get_long = base, gen_one, gen_long
        self.results.long_events = long_events


def main() -> int:
    """Run the service benchmark and write its report section; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="length of each wrk run, seconds (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs per figure (default 3)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="List sizes in books (default 1000,10000,100000)")
    parser.add_argument("--long-events", type=int, default=10_000, help="events of the long stream (default 10000)")
    parser.add_argument(
        "--project",
        type=Path,
        help="a generated library project to run instead of generating one (e.g. one edited by hand)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where benchmarks.md is")
    args = parser.parse_args()
    reason = postgres_reason() or (None if wrk_path() else "wrk is not installed (apt-get install -y wrk)")
    if reason:
        print(f"bench-service: {reason}", file=sys.stderr)
        return 2
    results = ServiceResults(args.seconds, args.runs, wrk_version(), postgres_version(), "PostgreSQL", False)
    with tempfile.TemporaryDirectory(prefix="potter-service-bench-") as tmp:
        bench = Bench(Path(tmp), args.seconds, args.runs, results, args.project and args.project.resolve())
        bench.create_phase()
        bench.read_phase(sorted(int(size) for size in args.sizes.split(",")), args.long_events)
        bench.relay_phase()
    args.out.mkdir(parents=True, exist_ok=True)
    write_service_section(results, args.out / "benchmarks.md")
    print(f"wrote the service section of {args.out / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
