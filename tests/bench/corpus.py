"""The benchmark's inputs: the shared synthetic corpora and a one-RPC change to them.

The corpora come from `../shared/bench/gen_corpus.py --options`, used as it
is: `--rpcs N --messages N` for each size, 10 RPCs per service and file.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GEN_CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
OPTIONS_DIR = REPO / "proto"  # potter/options.proto, which the corpora import

#: What one extra RPC adds to the first service file of a corpus (for "update +1 RPC").
EXTRA_MESSAGES = """message CountBenchItemsRequest {
  string owner_id = 1;
}

message CountBenchItemsResponse {
  int64 count = 1;
}

"""
EXTRA_RPC = """  rpc CountBenchItems(CountBenchItemsRequest) returns (CountBenchItemsResponse) {
    option (potter.query) = {};
  }
"""


@dataclass(frozen=True)
class Corpus:
    """One generated corpus.

    Attributes:
        root: the directory the protos are under (the `-I` directory).
        rpcs: how many RPCs it declares.
        protos: every `.proto` file, relative to `root`, sorted.
        services: the protos that declare a service (what potter-gen is given).
    """

    root: Path
    rpcs: int
    protos: tuple[Path, ...]
    services: tuple[Path, ...]


def missing_shared() -> str | None:
    """Return why the corpora cannot be made (`../shared` is not beside the clone), or None."""
    if GEN_CORPUS.is_file():
        return None
    return f"{GEN_CORPUS} is missing: the benchmark needs the shared corpus generator in ../shared beside the clone"


def make_corpus(rpcs: int, out: Path) -> Corpus:
    """Write the `rpcs`-RPC corpus into `out` (`gen_corpus.py --rpcs N --messages N --options`).

    Raises:
        subprocess.CalledProcessError: the generator failed.
    """
    command = [sys.executable, str(GEN_CORPUS), "--rpcs", str(rpcs), "--messages", str(rpcs), "--options", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    protos = tuple(sorted(p.relative_to(out) for p in out.rglob("*.proto")))
    services = tuple(p for p in protos if "common" not in p.parts)
    return Corpus(out, rpcs, protos, services)


def add_one_rpc(corpus: Corpus) -> None:
    """Add one query RPC and its two messages to the first service file of `corpus`, in place."""
    path = corpus.root / corpus.services[0]
    text = path.read_text()
    service = text.rindex("\nservice ") + 1
    closing = text.rindex("}")
    path.write_text(text[:service] + EXTRA_MESSAGES + text[service:closing] + EXTRA_RPC + text[closing:])
