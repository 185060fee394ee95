"""Benchmark `potter-gen check` and a no-op `potter-gen update` on a 100-RPC project.

The project is generated from the shared synthetic corpus
(`../shared/bench/gen_corpus.py --rpcs 100 --messages 100 --options`).
Reported: the median wall time (seconds) of 3 runs of each command, and each
as a ratio to `potter-gen init` on the same protos, measured in the same run.
Run by `make bench`; it asserts nothing. Without ../shared it prints one line
saying so and measures nothing (with CI=true, an error).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GEN_CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
RUNS = 3
POTTER_GEN = [sys.executable, "-m", "potter_gen"]


def timed(command: list[str], cwd: Path) -> float:
    """Return the wall time (seconds) of one run of `command`; fail on a non-zero exit."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Print the medians and ratios."""
    if not GEN_CORPUS.exists():
        print(f"100-RPC project skipped: {GEN_CORPUS.resolve()} is missing (the ../shared corpus)")
        if os.environ.get("CI", "").lower() == "true":
            raise SystemExit(f"{GEN_CORPUS.resolve()} is missing; CI=true needs ../shared beside the clone")
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        subprocess.run([sys.executable, str(GEN_CORPUS), "--rpcs", "100", "--messages", "100", "--options", "--out", str(corpus)], check=True, capture_output=True)
        protos = sorted(p.relative_to(corpus) for p in corpus.rglob("*.proto") if "common" not in p.parts)
        init_args = [arg for p in protos for arg in ("--proto", str(p))] + ["-I", ".", "--module", "corpus"]
        project = Path(tmp) / "project"
        inits = []
        for _ in range(RUNS):
            shutil.rmtree(project, ignore_errors=True)
            inits.append(timed([*POTTER_GEN, "init", *init_args, "--output", str(project)], corpus))
        checks = [timed([*POTTER_GEN, "check"], project) for _ in range(RUNS)]
        updates = [timed([*POTTER_GEN, "update"], project) for _ in range(RUNS)]
    init, check, update = (statistics.median(t) for t in (inits, checks, updates))
    print(f"100-RPC project ({len(protos)} protos), median of {RUNS}")
    print(f"{'command':<16} {'seconds':>8} {'ratio to init':>14}")
    print(f"{'init':<16} {init:>8.2f} {1.0:>14.2f}")
    print(f"{'check':<16} {check:>8.2f} {check / init:>14.2f}")
    print(f"{'update (no-op)':<16} {update:>8.2f} {update / init:>14.2f}")


if __name__ == "__main__":
    main()
