"""The benchmark report: `docs/benchmarks.md` (tables, targets, profile) and `docs/benchmarks.png`."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from corpus import REPO
from measure import Measurement
from service_report import split_service_section

POTTER_ROWS = ("init", "plugin", "check", "update (no-op)", "update (+1 RPC)")
BASELINES = ("floor", "betterproto2")

#: Re-run targets of issue 9, as a ratio to `init` on the same corpus.
RERUN_TARGETS = {"check": 0.3, "update (no-op)": 0.5, "update (+1 RPC)": 1.0, "plugin": 1.1}


@dataclass(frozen=True)
class ProfileRow:
    """One function of the init profile: calls, own and cumulative seconds, and the profile's total."""

    where: str
    calls: int
    own: float
    cumulative: float
    total: float


@dataclass
class Results:
    """Everything one benchmark run measured."""

    runs: int
    rows: dict[int, dict[str, Measurement]] = field(default_factory=dict)
    profile_rpcs: int = 0
    profile: list[ProfileRow] = field(default_factory=list)


def _machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")), model)
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    return f"{os.cpu_count()} CPUs ({model}){memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def _commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return completed.stdout.strip() or "unknown"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _size_table(size: int, rows: dict[str, Measurement]) -> list[str]:
    floor, better = rows["floor"].wall, rows["betterproto2"].wall
    lines = [
        f"### {size} RPCs",
        "",
        "| tool | wall (s) | CPU (s) | peak RSS (MiB) | × floor | × betterproto2 | wall per RPC (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in (*POTTER_ROWS, *BASELINES):
        m = rows[name]
        lines.append(
            f"| {name} | {m.wall:.3f} | {m.cpu:.3f} | {m.rss_mib:.0f} | {m.wall / floor:.2f} | {m.wall / better:.2f} | {1000 * m.wall / size:.2f} |"
        )
    return [*lines, ""]


def _targets(results: Results) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    for size, rows in sorted(results.rows.items()):
        limit = 6.0 if size <= 10 else 3.0
        ratio = rows["init"].wall / rows["floor"].wall
        lines.append(f"| init ≤ {limit:g}× the floor at {size} RPCs | {ratio:.2f}× | {_verdict(ratio <= limit)} |")
    largest = max(results.rows)
    rows = results.rows[largest]
    speedup = rows["betterproto2"].wall / rows["init"].wall
    lines.append(f"| init ≥ 5× faster than betterproto2 at {largest} RPCs | {speedup:.2f}× faster | {_verdict(speedup >= 5)} |")
    rss = rows["init"].rss_mib
    lines.append(f"| init peak RSS at {largest} RPCs ≤ 250 MiB | {rss:.0f} MiB | {_verdict(rss <= 250)} |")
    for size, rows in sorted(results.rows.items()):
        for name, limit in RERUN_TARGETS.items():
            ratio = rows[name].wall / rows["init"].wall
            lines.append(f"| {name} ≤ {limit:g}× init at {size} RPCs | {ratio:.2f}× | {_verdict(ratio <= limit)} |")
    if 100 in results.rows and 500 in results.rows:
        per_100 = results.rows[100]["init"].wall / 100
        per_500 = results.rows[500]["init"].wall / 500
        ratio = per_500 / per_100
        lines.append(f"| init time per RPC at 500 ≤ 1.3× per RPC at 100 | {ratio:.2f}× | {_verdict(ratio <= 1.3)} |")
    return [*lines, ""]


def _marginal(results: Results) -> list[str]:
    sizes = sorted(results.rows)
    if len(sizes) < 2:
        return []
    low, high = sizes[-2], sizes[-1]
    lines = [
        f"Marginal cost of one more RPC, (wall at {high} − wall at {low}) / {high - low}:",
        "",
        "| tool | ms per RPC |",
        "|---|---:|",
    ]
    for name in (*POTTER_ROWS, *BASELINES):
        delta = results.rows[high][name].wall - results.rows[low][name].wall
        lines.append(f"| {name} | {1000 * delta / (high - low):.2f} |")
    return [*lines, ""]


def _profile(results: Results) -> list[str]:
    if not results.profile:
        return []
    total = results.profile[0].total
    lines = [
        f"## Where init spends its time ({results.profile_rpcs} RPCs, cProfile, {total:.2f} s in all)",
        "",
        "The five functions with the most own time. Formatting runs in a `ruff`",
        "child process, so it shows as waiting on that process.",
        "",
        "| function | calls | own (s) | own share | cumulative (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results.profile:
        lines.append(f"| `{row.where}` | {row.calls} | {row.own:.3f} | {100 * row.own / total:.0f}% | {row.cumulative:.3f} |")
    return [*lines, ""]


def write_report(results: Results, path: Path) -> None:
    """Write the Markdown report of `results` to `path`, keeping the service section already there."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`tests/bench/run_bench.py`); regenerate it rather than edit it.",
        "",
        f"- Measured {datetime.date.today().isoformat()} at commit {_commit()} on {_machine()}.",
        f"- Every figure is a whole process: the median of {results.runs} runs after one warm-up run.",
        "  CPU is user + system time of the process and the children it waited for; peak RSS likewise.",
        "- Corpora: `../shared/bench/gen_corpus.py --rpcs N --messages N --options`, used as it is.",
        "- Baselines, measured in the same run on the same protos: **the floor**,",
        "  `python -m grpc_tools.protoc --python_out --grpc_python_out --pyi_out`, and",
        "  **betterproto2**, `protoc --python_betterproto2_out` (`betterproto2-compiler`).",
        "- potter-gen rows: `init`; `plugin` = `protoc --potter_out` with `scaffolds=all` (the same",
        "  files as init); `check` on the unchanged project; `update` with nothing to do; `update`",
        "  after one RPC and its two messages were added to a proto.",
        "",
        "![wall time against RPCs](benchmarks.png)",
        "",
        "## Targets (issue 9)",
        "",
        *_targets(results),
        "## Figures",
        "",
    ]
    for size, rows in sorted(results.rows.items()):
        lines.extend(_size_table(size, rows))
    lines.extend(_marginal(results))
    lines.extend(_profile(results))
    text = "\n".join(lines)
    # The service section (service_report.py) is written by its own run: keep it.
    _, service = split_service_section(path.read_text()) if path.exists() else ("", "")
    if service:
        text = text.rstrip("\n") + "\n\n" + service
    path.write_text(text)


def write_plot(results: Results, path: Path) -> None:
    """Plot wall time against RPCs, one line per tool, log-log, into the PNG `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results.rows)
    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    for name in (*POTTER_ROWS, *BASELINES):
        style = "--" if name in BASELINES else "-"
        axes.plot(sizes, [results.rows[s][name].wall for s in sizes], style, marker="o", label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(sizes, [str(s) for s in sizes])
    axes.set_xlabel("RPCs in the corpus")
    axes.set_ylabel(f"wall time, s (median of {results.runs})")
    axes.set_title("potter-gen against protoc's Python codegen (floor) and betterproto2")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
