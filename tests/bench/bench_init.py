"""Benchmark `potter-gen init` on the example and the two shared protos.

For each proto: the median wall time (seconds) of 5 runs of the `potter-gen
init` command, and of the baseline measured in the same run, `python -m
grpc_tools.protoc --python_out` on the same proto; the ratio init/baseline is
what to compare across machines. Run by `make bench`; it asserts nothing.
A shared proto missing (a clone with no ../shared beside it) is skipped with a
line saying so; with CI=true it is an error.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTOS = {
    "library (example)": REPO / "examples" / "library" / "library.proto",
    "potter-simple-service": REPO.parent / "shared" / "protos" / "potter-simple-service.proto",
    "potter-product-service": REPO.parent / "shared" / "protos" / "potter-product-service.proto",
}
RUNS = 5


def median_seconds(command: list[str]) -> float:
    """Return the median wall time of RUNS runs of `command` (each in a fresh temp dir)."""
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [part.replace("{tmp}", tmp) for part in command]
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print one row per proto."""
    print(f"{'proto':<26} {'init (s)':>9} {'protoc --python_out (s)':>24} {'ratio':>7}")
    for name, proto in PROTOS.items():
        if not proto.exists():
            print(f"{name:<26} skipped: {proto.resolve()} is missing (the ../shared corpus)")
            if os.environ.get("CI", "").lower() == "true":
                raise SystemExit(f"{proto.resolve()} is missing; CI=true needs ../shared beside the clone")
            continue
        init = median_seconds([sys.executable, "-m", "potter_gen", "init", "--proto", str(proto), "--output", "{tmp}/out"])
        baseline = median_seconds(
            [sys.executable, "-m", "grpc_tools.protoc", f"-I{proto.parent}", f"-I{REPO / 'proto'}", "--python_out={tmp}", str(proto)]
        )
        print(f"{name:<26} {init:>9.3f} {baseline:>24.3f} {init / baseline:>7.1f}")


if __name__ == "__main__":
    main()
