"""The services under test: fresh PostgreSQL databases, the generated library project, uvicorn processes.

`generate_library` runs `potter-gen init` on `examples/library/library.proto`;
`start_generated` migrates its database when the project has `alembic.ini`
(`alembic upgrade heads`) and serves it with `python -m library`;
`start_baseline` serves `service_baseline.py` with uvicorn. Both run one
worker, log at `warning` (no access log: uvicorn logs each request at
`info`, which would cost either side CPU the other does not spend), and are
stopped by `Server.stop`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LIBRARY_PROTO = REPO / "examples" / "library" / "library.proto"
#: The admin database the harness connects to, to create and drop its own.
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class ServerFailed(RuntimeError):
    """A service did not start; the message holds the end of its log."""


@dataclass
class Server:
    """A running service.

    Attributes:
        name: "baseline" or "generated".
        base_url: e.g. "http://127.0.0.1:40123".
        database_url: the SQLAlchemy async URL it stores in.
        process: its uvicorn process.
        log: the file its stdout and stderr go to.
    """

    name: str
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def postgres_version() -> str:
    """Return the server's version ("15.20 (Debian …)"), or raise if PostgreSQL does not answer."""
    return _admin(["-tAc", "SHOW server_version"]).strip()


def postgres_reason() -> str | None:
    """Return why PostgreSQL at `ADMIN_URL` cannot be used, or None when it answers."""
    try:
        postgres_version()
    except (OSError, subprocess.CalledProcessError) as error:
        return f"PostgreSQL at {ADMIN_URL} does not answer: {error}"
    return None


def _admin(args: list[str]) -> str:
    completed = subprocess.run(
        ["psql", ADMIN_URL, "-v", "ON_ERROR_STOP=1", *args], capture_output=True, text=True, check=True
    )
    return completed.stdout


@contextmanager
def fresh_database(label: str) -> Iterator[str]:
    """Create an empty database, yield its `postgresql+asyncpg://` URL, and drop it afterwards.

    Raises:
        subprocess.CalledProcessError: psql could not create it.
    """
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    _admin(["-c", f'CREATE DATABASE "{name}"'])
    try:
        base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        _admin(["-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def generate_library(out: Path) -> Path:
    """Generate the library example into `out` with `potter-gen init`; return `out`.

    Raises:
        subprocess.CalledProcessError: generation failed.
    """
    command = [sys.executable, "-m", "potter_gen", "init", "--proto", str(LIBRARY_PROTO), "--output", str(out)]
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    return out


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(server: Server, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"{server.name} exited with code {server.process.returncode}:\n{_tail(server.log)}")
        try:
            if httpx.get(f"{server.base_url}{path}", timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise ServerFailed(f"{server.name} did not answer within {timeout} s:\n{_tail(server.log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else "(no log)"


def _spawn(name: str, command: list[str], cwd: Path, env: dict[str, str], database_url: str, logs: Path) -> Server:
    port = free_port()
    log = logs / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command if "--port" not in command else [*command, str(port)],
            cwd=cwd,
            env={**os.environ, **env, "PORT": str(port), "DATABASE_URL": database_url},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(name, f"http://127.0.0.1:{port}", database_url, process, log)


def start_baseline(database_url: str, logs: Path) -> Server:
    """Serve `service_baseline.py` on a free port, storing in `database_url`; wait until it answers.

    Raises:
        ServerFailed: it exited or did not answer within 60 s.
    """
    command = [
        sys.executable, "-m", "uvicorn", "service_baseline:app", "--app-dir", str(HERE),
        "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log", "--port",
    ]  # fmt: skip
    server = _spawn("baseline", command, HERE, {}, database_url, logs)
    _wait_until_serving(server, "/openapi.json")
    return server


def migrate(project: Path, database_url: str) -> bool:
    """Run `alembic upgrade heads` in `project` when it has `alembic.ini`; return whether it did.

    Raises:
        subprocess.CalledProcessError: the migration failed.
    """
    if not (project / "alembic.ini").is_file():
        return False
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(project / "src")}
    alembic = Path(sys.executable).with_name("alembic")
    subprocess.run([str(alembic), "upgrade", "heads"], cwd=project, env=env, check=True, capture_output=True)
    return True


def start_generated(project: Path, database_url: str, logs: Path, *, snapshot_interval: int = 100) -> Server:
    """Serve the generated project with `python -m library` on a free port; wait until it answers.

    Env: `DATABASE_URL`, `PORT`, `SNAPSHOT_INTERVAL`, `LOG_LEVEL=warning`, and
    `PYTHONPATH` = the project's `src` (potter-runtime is installed in this venv).
    The caller migrates first (`migrate`).

    Raises:
        ServerFailed: it exited (e.g. it refused the database URL) or did not answer within 60 s.
    """
    env = {
        "PYTHONPATH": str(project / "src"),
        "SNAPSHOT_INTERVAL": str(snapshot_interval),
        "LOG_LEVEL": "warning",
    }
    server = _spawn("generated", [sys.executable, "-m", "library"], project, env, database_url, logs)
    _wait_until_serving(server, "/openapi.json")
    return server
