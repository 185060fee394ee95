"""Benchmark the protoc plugin: start-up plus generation for the example proto.

The median wall time (seconds) of 5 runs of `python -m grpc_tools.protoc
--plugin=protoc-gen-potter=… --potter_out` (every file: `scaffolds=all`) on
`examples/library/library.proto`, and of the baseline measured in the same
run, `python -m grpc_tools.protoc --python_out` on the same proto; the ratio
plugin/baseline is what to compare across machines. Run by `make bench`;
it asserts nothing.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "examples" / "library" / "library.proto"
OPTIONS_DIR = REPO / "proto"
RUNS = 5


def median_seconds(out_flags: list[str]) -> float:
    """Return the median wall time of RUNS protoc runs on PROTO with `out_flags` (`{tmp}`: a fresh directory)."""
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                f"-I{PROTO.parent}",
                f"-I{OPTIONS_DIR}",
                *(flag.replace("{tmp}", tmp) for flag in out_flags),
                str(PROTO),
            ]
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the plugin's time, the baseline's and their ratio."""
    plugin = Path(sys.executable).parent / "protoc-gen-potter"
    if not plugin.exists():
        plugin = Path(shutil.which("protoc-gen-potter") or "protoc-gen-potter")
    potter = median_seconds([f"--plugin=protoc-gen-potter={plugin}", "--potter_out={tmp}", "--potter_opt=scaffolds=all"])
    baseline = median_seconds(["--python_out={tmp}"])
    print(f"{'proto':<26} {'--potter_out (s)':>17} {'--python_out (s)':>17} {'ratio':>7}")
    print(f"{'library (example)':<26} {potter:>17.3f} {baseline:>17.3f} {potter / baseline:>7.1f}")


if __name__ == "__main__":
    main()
