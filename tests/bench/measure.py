"""Whole-process measurements: wall time, CPU time and peak RSS of a command.

Each command runs as a child process; `os.wait4` returns the child's resource
usage, which on Linux includes the children it waited for (protoc's plugin),
so CPU time and peak RSS cover the whole tool, not only its first process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One run of a command.

    Attributes:
        wall: elapsed time, seconds.
        cpu: user + system CPU time of the process and its waited-for children, seconds.
        rss_mib: peak resident set size, MiB (the largest of the process and its children).
    """

    wall: float
    cpu: float
    rss_mib: float


@dataclass(frozen=True)
class Measurement:
    """The medians of `runs` samples of one command, taken after one warm-up run."""

    wall: float
    cpu: float
    rss_mib: float
    runs: int


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the message holds its command line and stderr."""


def run_once(argv: Sequence[str], cwd: Path) -> Sample:
    """Run `argv` in `cwd` once and return what it cost.

    Raises:
        CommandFailed: the command exited non-zero.
    """
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            message = stderr.read().decode(errors="replace")[-4000:]
            raise CommandFailed(f"{' '.join(argv)} (in {cwd}) exited {process.returncode}:\n{message}")
    # ru_maxrss is in KiB on Linux.
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure(
    argv: Sequence[str], cwd: Path, runs: int, prepare: Callable[[], None] | None = None
) -> Measurement:
    """Return the medians of `runs` runs of `argv`, after one warm-up run that is not counted.

    Args:
        argv: the command line.
        cwd: its working directory.
        runs: how many counted runs (≥ 1).
        prepare: called before every run, untimed (e.g. to remove the previous output).

    Raises:
        CommandFailed: a run exited non-zero.
    """
    samples = []
    for index in range(runs + 1):
        if prepare is not None:
            prepare()
        sample = run_once(argv, cwd)
        if index:
            samples.append(sample)
    return Measurement(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mib for s in samples),
        runs,
    )
