"""The main job, end to end: `potter-gen init` the library example, serve it, call it.

Run by `make demo`. Generates `examples/library/library.proto` into
`--output` (replacing it), starts `python -m library` on a free port with an
SQLite event store, creates and reads a book over real HTTP, prints the
answers and the stored events, and stops the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(base_url: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Poll `base_url`/openapi.json until it answers; raise if the server dies or `timeout` (seconds) passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the service exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the service did not answer within {timeout} seconds")


def show(title: str, response: httpx.Response) -> None:
    """Print one request's answer."""
    print(f"\n{title}: {response.request.method} {response.request.url.path} -> {response.status_code}")
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))


def main() -> int:
    """Run the demo; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("demo-out"))
    args = parser.parse_args()
    output: Path = args.output.resolve()
    shutil.rmtree(output, ignore_errors=True)

    potter_gen = [sys.executable, "-m", "potter_gen"]
    proto = HERE / "library" / "library.proto"
    print(f"$ potter-gen init --proto {proto.relative_to(HERE.parent)} --output {args.output}")
    subprocess.run([*potter_gen, "init", "--proto", str(proto), "--output", str(output)], check=True)

    port = free_port()
    database = output / "library.db"
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "PYTHONPATH": str(output / "src")}
    print(f"\n$ python -m library   (PORT={port})")
    server = subprocess.Popen([sys.executable, "-m", "library"], cwd=output, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, server)
        created = httpx.post(f"{base_url}/api/v1/books", json={"title": "Dune", "author": "Frank Herbert", "copies": 3})
        show("Create a book", created)
        book_id = created.json()["bookId"]
        show("Get it back", httpx.get(f"{base_url}/api/v1/books/{book_id}"))
        show("List books", httpx.get(f"{base_url}/api/v1/books"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT aggregate_type, aggregate_id, version, event_type FROM events").fetchall()
    print("\nEvents in the SQLite event store:")
    for row in rows:
        print("  ", *row)
    print(f"\nThe generated project is in {args.output}: cd {args.output} && make test")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
