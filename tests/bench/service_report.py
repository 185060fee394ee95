"""The "Service" section of `docs/benchmarks.md`: the generated service against the hand-written baseline.

The section runs from `SERVICE_HEADING` to the end of the file, so the
generator report (`report.py`) and this one each rewrite only their own part:
`write_service_section` replaces it, `report.write_report` keeps it.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service_load import CONCURRENCY, PROBE_LIMIT, Load
from service_servers import REPO

SERVICE_HEADING = "## Service: the generated service against a hand-written one (issue 13)"


@dataclass
class ServiceResults:
    """Everything one service benchmark run measured.

    Attributes:
        seconds: length of each wrk run, seconds.
        runs: counted runs per figure (medians are taken over them).
        wrk: wrk's version.
        postgres: PostgreSQL's server version.
        storage: what the generated service stored in ("PostgreSQL" or why SQLite).
        migrated: whether `alembic upgrade heads` ran before the generated service started.
        create: "baseline" / "generated" → the create endpoint's load.
        lists: aggregate count → "baseline" / "generated" → a List page of 50.
        get_one: Get of a one-event book (generated).
        get_long: Get of a book with `long_events` events (generated).
        get_baseline: Get of one row by primary key (baseline), for context.
        long_events: events in the long stream.
        relay: `relay_bench.measure_relay`'s result (events/s to JetStream), or None.
        relay_note: why the relay was not measured, else "".
    """

    seconds: float
    runs: int
    wrk: str
    postgres: str
    storage: str
    migrated: bool
    create: dict[str, Load] = field(default_factory=dict)
    lists: dict[int, dict[str, Load]] = field(default_factory=dict)
    get_one: Load | None = None
    get_long: Load | None = None
    get_baseline: Load | None = None
    long_events: int = 0
    relay: dict[str, Any] | None = None
    relay_note: str = ""


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def _ms(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "–"
    return f"{1000 * seconds:.1f}"


def _rps(load: Load) -> str:
    return "–" if load.throughput is None else f"{load.throughput:.0f}"


def _verdict(ratio: float | None, limit: float, *, at_least: bool = False) -> str:
    """Return "met" or "**missed** (…)" for a ratio against a limit (≤ limit, or ≥ when `at_least`)."""
    if ratio is None or math.isnan(ratio):
        return "**missed** (not measured)"
    if ratio >= limit if at_least else ratio <= limit:
        return "met"
    how = f"{ratio / limit:.2f} of the minimum" if at_least else f"{ratio / limit:.2f}× the maximum"
    return f"**missed** ({how})"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0:
        return None
    return a / b


def _fmt_ratio(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def _p50s(a: Load, b: Load) -> tuple[float, float, str]:
    """Return the two p50s to compare, loaded when both were loaded, else both single requests ("†")."""
    if a.runs and b.runs:
        return a.p50, b.p50, ""
    return a.probe, b.probe, " †"


def _target_rows(results: ServiceResults) -> list[str]:
    # "compared with": the baseline's figure, or the generated service's own one the target names.
    lines = ["| target | generated | compared with | ratio | |", "|---|---:|---:|---:|---|"]
    base, gen = results.create.get("baseline"), results.create.get("generated")
    if base and gen:
        ratio = _ratio(gen.throughput, base.throughput)
        lines.append(
            f"| create throughput ≥ 0.8× baseline INSERT (req/s) | {_rps(gen)} | {_rps(base)} | {_fmt_ratio(ratio)} "
            f"| {_verdict(ratio, 0.8, at_least=True)} |"
        )
        ratio = _ratio(gen.p99, base.p99)
        lines.append(
            f"| create p99 ≤ 1.5× baseline p99 (ms) | {_ms(gen.p99)} | {_ms(base.p99)} | {_fmt_ratio(ratio)} "
            f"| {_verdict(ratio, 1.5)} |"
        )
    lines += _issue_14_rows(results)
    comparisons: list[tuple[str, Load, Load, float]] = []
    for size, pair in sorted(results.lists.items()):
        label = f"List p50 ≤ 1.5× baseline `SELECT … LIMIT 50` at {size:,} (ms)"
        comparisons.append((label, pair["generated"], pair["baseline"], 1.5))
    sizes = sorted(results.lists)
    if len(sizes) >= 2:
        low, high = results.lists[sizes[0]]["generated"], results.lists[sizes[-1]]["generated"]
        comparisons.append((f"List p50 at {sizes[-1]:,} ≤ 1.5× its p50 at {sizes[0]:,} (ms)", high, low, 1.5))
    if results.get_one and results.get_long:
        label = f"Get p50 of a {results.long_events:,}-event book ≤ 3× a one-event book's (ms)"
        comparisons.append((label, results.get_long, results.get_one, 3.0))
    for label, a, b, limit in comparisons:
        first, second, mark = _p50s(a, b)
        ratio = _ratio(first, second)
        lines.append(
            f"| {label}{mark} | {_ms(first)} | {_ms(second)} | {_fmt_ratio(ratio)} | {_verdict(ratio, limit)} |"
        )
    lines.append("")
    if any(not (a.runs and b.runs) for _, a, b, _ in comparisons):
        lines += [
            "† One side was too slow to load (see its note under Figures): both sides are compared by the latency",
            "of a single request with nothing else in flight (the second of two), not under load.",
            "",
        ]
    return lines


def _issue_14_rows(results: ServiceResults) -> list[str]:
    """Return issue 14's rows: idempotent create latency against a plain create, relay throughput."""
    lines = []
    plain, idempotent = results.create.get("generated"), results.create.get("idempotent")
    if plain and idempotent:
        first, second, mark = _p50s(idempotent, plain)
        ratio = _ratio(first, second)
        lines.append(
            f"| idempotent create p50 ≤ 1.2× a plain create's (ms, issue 14){mark} | {_ms(first)} | {_ms(second)} "
            f"| {_fmt_ratio(ratio)} | {_verdict(ratio, 1.2)} |"
        )
    label = "outbox relay to NATS JetStream ≥ 5,000 events/s (issue 14)"
    if results.relay is not None:
        rate = results.relay["events_per_second"]
        ratio = rate / 5000
        lines.append(f"| {label} | {rate:,.0f} | 5,000 | {_fmt_ratio(ratio)} | {_verdict(ratio, 1.0, at_least=True)} |")
    elif results.relay_note:
        lines.append(f"| {label} | – | 5,000 | – | **missed** ({results.relay_note}) |")
    return lines


def _relay_figure(results: ServiceResults) -> list[str]:
    relay = results.relay
    if relay is None:
        return []
    samples = ", ".join(f"{rate:,.0f}" for rate in relay["samples"])
    cpu = ", ".join(f"{cpu:.2f}/{wall:.2f}" for cpu, wall in zip(relay["cpu_seconds"], relay["seconds"], strict=True))
    return [
        f"Outbox relay (`tests/bench/relay_bench.py`): {relay['events']:,} events seeded in PostgreSQL, published to a",
        f"fresh JetStream stream per run from checkpoint 0 (batch {relay['batch_size']:,}, at most "
        f"{relay['max_in_flight']:,} publishes unacknowledged): median **{relay['events_per_second']:,.0f} events/s**",
        f"over {relay['runs']} runs ({samples}); relay process CPU/wall seconds per run: {cpu}.",
        "",
    ]


def _figure_row(name: str, load: Load) -> str:
    note = load.note or ("" if not load.errors else f"{load.errors} errors")
    if load.note and load.errors:
        note += f"; {load.errors} errors"
    return f"| {name} | {_rps(load)} | {_ms(load.p50)} | {_ms(load.p99)} | {_ms(load.probe)} | {load.runs} | {note} |"


def _figures(results: ServiceResults) -> list[str]:
    lines = [
        "| measurement | req/s | p50 (ms) | p99 (ms) | single request (ms) | runs | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for side in ("baseline", "generated"):
        if side in results.create:
            lines.append(_figure_row(f"create, {side}", results.create[side]))
    if "idempotent" in results.create:
        lines.append(_figure_row("create, generated, new Idempotency-Key each", results.create["idempotent"]))
    for size, pair in sorted(results.lists.items()):
        for side in ("baseline", "generated"):
            lines.append(_figure_row(f"List 50 at {size:,}, {side}", pair[side]))
    if results.get_baseline:
        lines.append(_figure_row("Get, baseline (one row by primary key)", results.get_baseline))
    if results.get_one:
        lines.append(_figure_row("Get, generated, one-event book", results.get_one))
    if results.get_long:
        lines.append(_figure_row(f"Get, generated, {results.long_events:,}-event book", results.get_long))
    return [*lines, "", *_relay_figure(results)]


def service_section(results: ServiceResults) -> str:
    """Return the Markdown of the service section (heading included)."""
    full = results.seconds >= 20 and results.runs >= 3
    length = (
        f"{results.runs} runs of {results.seconds:g} s per figure"
        if full
        else f"**a short run: {results.runs} run(s) of {results.seconds:g} s per figure, not the issue's 3 × 20 s**"
    )
    lines = [
        SERVICE_HEADING,
        "",
        "Written by `make bench-service` (`tests/bench/service_bench.py`; `make bench` runs it too).",
        "",
        f"- Measured {datetime.date.today().isoformat()} at commit {_commit()} on {os.cpu_count()} cores "
        f"({_cpu_model()}), PostgreSQL {results.postgres}, Python {platform.python_version()}; the load generator,",
        "  PostgreSQL and the service share these cores.",
        f"- Load: {results.wrk}, `wrk -t1 -c{CONCURRENCY}` (closed loop, concurrency {CONCURRENCY}), {length},",
        '  after two probe requests (the second timed: "single request") and a 2 s warm-up; each figure is the',
        "  median over the runs of that figure (throughput, p50 and p99 each on its own).",
        "  Baseline and generated runs alternate. An endpoint whose single",
        f"  request takes longer than {PROBE_LIMIT:g} s (shorter runs: run length / 64) is not loaded: 32 requests in flight",
        "  would outlast the run.",
        "- Baseline: `tests/bench/service_baseline.py`, FastAPI + SQLAlchemy 2 async + asyncpg, one table `books`,",
        "  one statement per request. Generated: `examples/library/library.proto` through `potter-gen init`,",
        f"  `python -m library`, `SNAPSHOT_INTERVAL=100`, storing in **{results.storage}**"
        + (", migrated with `alembic upgrade heads` first." if results.migrated else " (it created its own schema)."),
        "  Both: uvicorn, one worker, log level `warning`; each phase (create; reads) in fresh databases.",
        "  The generated service tunes CPython's garbage collector before serving (`gc.freeze`, generation-0",
        "  threshold 7,000: `potter_runtime.garbage_collector`); the baseline keeps CPython's defaults.",
        "- Seeding: the baseline by `INSERT … SELECT generate_series`; the generated service by its event store API,",
        "  copies of what one book created over HTTP stored (`tests/bench/service_seed.py`). The long stream: update",
        "  events appended in batches, then one update over HTTP, which lets the service take its own snapshot.",
        "- Endpoints: create `POST /books` vs `POST /api/v1/books` (also with an `Idempotency-Key` new on each",
        "  request); List `GET /books?limit=50` (ORDER BY id) vs `GET /api/v1/books?pageSize=50`; Get",
        "  `GET /books/{id}` vs `GET /api/v1/books/{id}`.",
        "",
        "### Targets",
        "",
        *_target_rows(results),
        "### Figures",
        "",
        *_figures(results),
    ]
    return "\n".join(lines)


def split_service_section(text: str) -> tuple[str, str]:
    """Split a report into (everything before the service section, the section); either may be ""."""
    index = text.find(SERVICE_HEADING)
    if index < 0:
        return text, ""
    return text[:index], text[index:]


def write_service_section(results: ServiceResults, path: Path) -> None:
    """Replace (or append) the service section of the Markdown report at `path`, keeping the rest."""
    before = path.read_text() if path.exists() else "# Benchmarks\n\n"
    before, _ = split_service_section(before)
    path.write_text(before.rstrip("\n") + "\n\n" + service_section(results))
