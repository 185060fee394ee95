"""The load generator of the service benchmark: wrk, closed loop, fixed concurrency.

Why wrk (Debian's `wrk` package): it is a C event loop, so one wrk thread
drives 32 connections at many times the rate a one-worker Python server can
answer, and leaves the machine's two cores to the server and PostgreSQL; a
Python load generator (locust, an httpx loop) would compete with the server
for them and measure itself. Each connection sends its next request when the
previous answer arrives (closed loop), which is what "concurrency 32" means
here; wrk2's fixed-rate mode is not wanted. `service_wrk.lua` makes POST
bodies and prints exact p50/p99 from wrk's histogram.

Both services get the same command line: `wrk -t1 -c32 -d{seconds}s`.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

WRK_SCRIPT = Path(__file__).with_name("service_wrk.lua")
CONCURRENCY = 32
#: An endpoint whose single request takes longer than this (seconds) is not
#: put under load: with 32 connections queued behind it one request would
#: wait ~32× as long (8 s here), and a run would complete too few to measure.
#: It is reported from that one request instead, a lower bound of its loaded
#: latency. Short runs lower the limit further (`probe_limit`).
PROBE_LIMIT = 0.25


def probe_limit(seconds: float) -> float:
    """Return the longest probe (seconds) of an endpoint still loaded in runs of `seconds`.

    The 32 requests in flight of a one-worker server end together, ~32 probes
    later; that must fit in half a run, or the run completes none.
    """
    return min(PROBE_LIMIT, seconds / (2 * CONCURRENCY))


class LoadFailed(RuntimeError):
    """wrk could not run, or the endpoint answered with errors; the message says which."""


@dataclass(frozen=True)
class LoadRun:
    """One wrk run.

    Attributes:
        throughput: successful requests per second.
        p50: median latency, seconds.
        p99: 99th percentile latency, seconds.
        requests: requests completed (successful or not).
        errors: answers with status ≥ 400, plus socket errors and timeouts.
    """

    throughput: float
    p50: float
    p99: float
    requests: int
    errors: int


@dataclass(frozen=True)
class Load:
    """The medians of several runs of one endpoint (each figure's median taken on its own).

    Attributes:
        throughput: requests per second; None when only the probe ran.
        p50: seconds.
        p99: seconds; None when only the probe ran.
        runs: counted wrk runs (0: not loaded, see `note`).
        errors: error count summed over the runs.
        note: why the endpoint was not loaded, else "".
        probe: latency of one request with nothing else in flight, seconds (see `probe`).
    """

    throughput: float | None
    p50: float
    p99: float | None
    runs: int
    errors: int
    note: str = ""
    probe: float = float("nan")


def wrk_path() -> str | None:
    """Return the wrk executable on PATH, or None."""
    return shutil.which("wrk")


def wrk_version() -> str:
    """Return wrk's version line ("wrk debian/4.1.0-3+b2 [epoll] …" shortened), or "unknown"."""
    wrk = wrk_path()
    if wrk is None:
        return "unknown"
    completed = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    line = (completed.stdout or completed.stderr).splitlines()[0] if (completed.stdout or completed.stderr) else ""
    return line.split(" Copyright")[0].strip() or "unknown"


def run_wrk(url: str, seconds: float, *, method: str = "GET", idempotent: bool = False) -> LoadRun:
    """Run wrk against `url` for `seconds` at concurrency 32 and return what it measured.

    Args:
        url: the full URL (GET) or the create endpoint (POST).
        seconds: duration (≥ 1; wrk counts whole seconds).
        method: "GET" or "POST" (a create body per request, see `service_wrk.lua`).
        idempotent: POST each create with an `Idempotency-Key` of its own.

    Raises:
        LoadFailed: wrk is missing or failed, or printed no result line.
    """
    wrk = wrk_path()
    if wrk is None:
        raise LoadFailed("wrk is not installed (`apt-get install -y wrk`; `make bench-service` does it)")
    command = [
        wrk,
        "-t1",
        f"-c{CONCURRENCY}",
        f"-d{max(1, round(seconds))}s",
        # Long enough that slow answers are counted, not dropped from the percentiles.
        "--timeout",
        "60s",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_IDEMPOTENT": "1" if idempotent else "0"}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise LoadFailed(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(data[key] for key in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    duration = data["duration_us"] / 1e6
    good = max(0, data["requests"] - data["status_errors"])
    if good == 0:
        raise LoadFailed(f"no request to {url} succeeded in {duration:.0f} s ({errors} errors)")
    return LoadRun(good / duration, data["p50_us"] / 1e6, data["p99_us"] / 1e6, data["requests"], errors)


def probe(url: str, *, method: str = "GET", expect_items: int | None = None, idempotent: bool = False) -> float:
    """Send two requests and return the latency (seconds) of the second, after checking both answers.

    The first one opens the connections (HTTP, the server's database pool); the second is timed.

    Args:
        url: the URL.
        method: "GET" or "POST" (POST sends one create body each time).
        expect_items: for a list, how many items the page must hold (the
            first JSON array found in the answer, or the answer itself).
        idempotent: send each request with an `Idempotency-Key` of its own.

    Raises:
        LoadFailed: a status is not 2xx, or the page holds another number of items.
    """
    body = {"title": "Probe book", "author": "Bench Author", "copies": 3} if method == "POST" else None
    # One client for both: building one costs ~50 ms (its TLS context), which must not be timed.
    with httpx.Client(timeout=600.0) as client:
        elapsed = 0.0
        for _ in range(2):
            start = time.perf_counter()
            headers = {"Idempotency-Key": f"probe-{uuid.uuid4()}"} if idempotent else None
            response = client.request(method, url, json=body, headers=headers)
            elapsed = time.perf_counter() - start
            if not response.is_success:
                raise LoadFailed(f"{method} {url} answered {response.status_code}: {response.text[:500]}")
            if expect_items is not None:
                data = response.json()
                items = data if isinstance(data, list) else next((v for v in data.values() if isinstance(v, list)), [])
                if len(items) != expect_items:
                    raise LoadFailed(f"{method} {url} returned {len(items)} items, expected {expect_items}")
    return elapsed


@dataclass(frozen=True)
class Target:
    """One endpoint to load.

    Attributes:
        url: the full URL.
        method: "GET" or "POST" (a create body per request).
        expect_items: for a list, the page size its answer must have (checked once, by the probe).
        idempotent: a POST sends an `Idempotency-Key` unique to each request.
    """

    url: str
    method: str = "GET"
    expect_items: int | None = None
    idempotent: bool = False


def measure_interleaved(targets: list[Target], seconds: float, runs: int, *, warmup: float = 2.0) -> list[Load]:
    """Load each target `runs` times, alternating between them, and return each one's medians.

    Alternating (A, B, A, B, …) rather than A, A, A, B, B, B spreads any
    drift of the shared machine over both sides of a comparison. Each target
    is first probed once and warmed up for `warmup` seconds (not counted).
    A target whose probe takes longer than `probe_limit(seconds)` is not loaded: its
    result holds the probe's latency as p50 and a note saying so.

    A target whose wrk runs fail (no successful request) keeps the runs that
    worked, with a note; with none, its p50 is NaN.

    Raises:
        LoadFailed: a probe's answer was wrong (the data or the service is not what the benchmark expects).
    """
    skipped: dict[int, Load] = {}
    failed: dict[int, str] = {}
    probes: list[float] = []
    for index, target in enumerate(targets):
        latency = probe(
            target.url, method=target.method, expect_items=target.expect_items, idempotent=target.idempotent
        )
        probes.append(latency)
        if latency > probe_limit(seconds):
            note = (
                f"not loaded: one request took {latency:.3f} s (> {probe_limit(seconds):.3f} s); "
                "p50 is that request's latency"
            )
            skipped[index] = Load(None, latency, None, 0, 0, note, latency)
        elif warmup > 0:
            try:
                run_wrk(target.url, warmup, method=target.method, idempotent=target.idempotent)
            except LoadFailed as error:
                failed[index] = str(error).splitlines()[0]
    samples: dict[int, list[LoadRun]] = {index: [] for index in range(len(targets)) if index not in skipped}
    for _ in range(runs):
        for index, runs_so_far in samples.items():
            if index in failed:
                continue
            try:
                target = targets[index]
                runs_so_far.append(run_wrk(target.url, seconds, method=target.method, idempotent=target.idempotent))
            except LoadFailed as error:  # one endpoint's failure must not lose the others' figures
                failed[index] = str(error).splitlines()[0]
    results = []
    for index in range(len(targets)):
        if index in skipped:
            results.append(skipped[index])
            continue
        got = samples[index]
        if not got:
            results.append(Load(None, float("nan"), None, 0, 0, f"not measured: {failed[index]}", probes[index]))
            continue
        results.append(
            Load(
                statistics.median(s.throughput for s in got),
                statistics.median(s.p50 for s in got),
                statistics.median(s.p99 for s in got),
                len(got),
                sum(s.errors for s in got),
                f"only {len(got)} of {runs} runs: {failed[index]}" if index in failed else "",
                probes[index],
            )
        )
    return results
