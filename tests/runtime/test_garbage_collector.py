"""`tune_garbage_collector`: what a service process's collector looks like after it (run in a child process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from potter_runtime.garbage_collector import SERVICE_GEN0_THRESHOLD, tune_garbage_collector

CHILD = """
import gc
from potter_runtime.garbage_collector import tune_garbage_collector
before = gc.get_threshold()
kept = [[] for _ in range(1000)]  # alive at start-up: frozen
tune_garbage_collector()
after = gc.get_threshold()
frozen = gc.get_freeze_count()
cycle = []
cycle.append(cycle)  # garbage made while serving: still collected
del cycle
print(before[1], before[2], *after, frozen, gc.collect())
"""


def test_freezes_what_start_up_made_and_raises_only_the_first_threshold() -> None:
    # A child process: freezing the test process would keep its garbage for good.
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    gen1_before, gen2_before, gen0, gen1, gen2, frozen, collected = map(int, out.split())
    assert gen0 == SERVICE_GEN0_THRESHOLD
    assert (gen1, gen2) == (gen1_before, gen2_before)
    assert frozen >= 1000
    assert collected >= 1


def test_refuses_a_threshold_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tune_garbage_collector(0)
