"""`make bench`: potter-gen against protoc's own Python codegen and betterproto2, 10/100/500 RPCs.

For each corpus size (`../shared/bench/gen_corpus.py --options`, see
`corpus.py`) every row is a whole process, measured after a warm-up run as
the median of `--runs` runs (default 5): wall time, CPU time, peak RSS.

Rows: potter-gen `init`, the protoc plugin (`grpc_tools.protoc
--potter_out`, every file), `check` on the unchanged project, a no-op
`update`, `update` after adding one RPC; and the baselines, measured in the
same run on the same protos: "the floor", `grpc_tools.protoc --python_out
--grpc_python_out --pyi_out`, and the betterproto2 plugin
(`betterproto2-compiler`). Writes `docs/benchmarks.md` and
`docs/benchmarks.png`; it asserts nothing (targets are read off the report).

Usage: python tests/bench/run_bench.py [--runs N] [--sizes 10,100,500] [--out docs]
Exit status 2 when `../shared` is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus import OPTIONS_DIR, REPO, Corpus, add_one_rpc, make_corpus, missing_shared
from measure import Measurement, measure
from report import ProfileRow, Results, write_plot, write_report

BIN = Path(sys.executable).parent
PROTOC = [sys.executable, "-m", "grpc_tools.protoc"]
POTTER_GEN = str(BIN / "potter-gen")


def _fresh(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def _remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def _init_args(corpus: Corpus) -> list[str]:
    protos = [arg for proto in corpus.services for arg in ("--proto", str(Path("corpus") / proto))]
    return [*protos, "-I", "corpus", "--module", "corpus"]


def measure_size(corpus: Corpus, work: Path, runs: int) -> dict[str, Measurement]:
    """Measure every row on one corpus (laid out as `work/corpus`); return row name → medians."""
    out = work / "out"
    every_proto = [str(Path("corpus") / p) for p in corpus.protos]
    service_protos = [str(Path("corpus") / p) for p in corpus.services]
    includes = ["-Icorpus", f"-I{OPTIONS_DIR}"]
    rows: dict[str, Measurement] = {}

    def fresh_out() -> None:
        _fresh(out)

    def remove_out() -> None:
        _remove(out)

    print("  floor (protoc --python_out --grpc_python_out --pyi_out)", flush=True)
    rows["floor"] = measure(
        [*PROTOC, *includes, f"--python_out={out}", f"--grpc_python_out={out}", f"--pyi_out={out}", *every_proto],
        work,
        runs,
        fresh_out,
    )
    print("  betterproto2", flush=True)
    rows["betterproto2"] = measure(
        [
            *PROTOC,
            *includes,
            f"--plugin=protoc-gen-python_betterproto2={BIN / 'protoc-gen-python_betterproto2'}",
            f"--python_betterproto2_out={out}",
            *every_proto,
        ],
        work,
        runs,
        fresh_out,
    )
    print("  potter-gen init", flush=True)
    rows["init"] = measure([POTTER_GEN, "init", *_init_args(corpus), "--output", str(out)], work, runs, remove_out)
    print("  plugin (protoc --potter_out)", flush=True)
    rows["plugin"] = measure(
        [
            *PROTOC,
            *includes,
            f"--plugin=protoc-gen-potter={BIN / 'protoc-gen-potter'}",
            f"--potter_out={out}",
            "--potter_opt=module=corpus,scaffolds=all",
            *service_protos,
        ],
        work,
        runs,
        fresh_out,
    )

    project = work / "project"
    _remove(project)
    subprocess.run([POTTER_GEN, "init", *_init_args(corpus), "--output", "project"], cwd=work, check=True, capture_output=True)
    print("  potter-gen check (unchanged)", flush=True)
    rows["check"] = measure([POTTER_GEN, "check"], project, runs)
    print("  potter-gen update (no-op)", flush=True)
    rows["update (no-op)"] = measure([POTTER_GEN, "update"], project, runs)

    changed = work / "changed"

    def changed_copy() -> None:
        _remove(changed)
        shutil.copytree(project, changed / "project")
        shutil.copytree(corpus.root, changed / "corpus")
        add_one_rpc(Corpus(changed / "corpus", corpus.rpcs, corpus.protos, corpus.services))

    print("  potter-gen update (+1 RPC)", flush=True)
    rows["update (+1 RPC)"] = measure([POTTER_GEN, "update"], changed / "project", runs, changed_copy)
    return rows


def profile_init(corpus: Corpus, work: Path) -> list[ProfileRow]:
    """Return the five functions with the most own time in one in-process `init` of `corpus`."""
    from potter_gen.cli import main as cli_main

    _remove(work / "profiled")
    profiler = cProfile.Profile()
    argv = ["init", *_init_args(corpus), "--output", "profiled"]
    quiet = io.StringIO()  # the run's own output (diagnostics, "Wrote …") is not the report's
    with contextlib.chdir(work), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        profiler.enable()
        try:
            cli_main(argv, standalone_mode=False)
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:5]  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in entries:
        where = function if filename == "~" else f"{Path(filename).name}:{line} {function}"
        rows.append(ProfileRow(where, calls, own, cumulative, total))
    return rows


def main() -> int:
    """Run the benchmark and write the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted runs per row, after one warm-up (default 5)")
    parser.add_argument("--sizes", default="10,100,500", help="corpus sizes in RPCs (default 10,100,500)")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where benchmarks.md and .png go")
    args = parser.parse_args()
    reason = missing_shared()
    if reason:
        print(f"bench: {reason}", file=sys.stderr)
        return 2
    # betterproto2 runs `ruff` from PATH: the one installed beside it.
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    sizes = [int(size) for size in args.sizes.split(",")]
    results = Results(runs=args.runs)
    with tempfile.TemporaryDirectory(prefix="potter-bench-") as tmp:
        for size in sizes:
            print(f"{size} RPCs", flush=True)
            work = Path(tmp) / str(size)
            corpus = make_corpus(size, work / "corpus")
            results.rows[size] = measure_size(corpus, work, args.runs)
        largest = max(sizes)
        print(f"profile of init at {largest} RPCs", flush=True)
        results.profile_rpcs = largest
        results.profile = profile_init(make_corpus(largest, Path(tmp) / "profile" / "corpus"), Path(tmp) / "profile")
    args.out.mkdir(parents=True, exist_ok=True)
    write_plot(results, args.out / "benchmarks.png")
    write_report(results, args.out / "benchmarks.md")
    print(f"wrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
