"""Shared test helpers: repository paths, the ../shared corpus guard and output-tree comparison."""

from __future__ import annotations

import asyncio
import difflib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

REPO = Path(__file__).resolve().parent.parent
#: The corpus beside the repository (`../shared`): protos and the bench generator. A clone made
#: elsewhere lacks it; tests reading it skip (or fail with CI=true) through `require_shared`.
SHARED = REPO.parent / "shared"
SHARED_PROTOS = SHARED / "protos"
EXAMPLE_PROTO = REPO / "examples" / "library" / "library.proto"
_SHARED_SKIP = "needs the ../shared corpus"


def require_shared(*paths: Path) -> None:
    """Skip the calling test when one of `paths` lies in ../shared and is missing.

    Paths outside ../shared are not checked (a missing one is the test's own failure).

    Raises:
        pytest.skip.Exception: a path is missing (a clone with nothing beside it).
        pytest.fail.Exception: a path is missing and the environment variable CI is `true`,
            where the whole suite must run.
    """
    shared = SHARED.resolve()
    missing = [p for p in paths if p.resolve().is_relative_to(shared) and not p.exists()]
    if not missing:
        return
    message = f"{_SHARED_SKIP}: {missing[0].resolve()} is missing"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the shared corpus must be beside the clone)", pytrace=False)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say in one line how many tests were skipped for want of ../shared, and why."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if _SHARED_SKIP in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} tests skipped: they read {SHARED.resolve()}, which is missing "
            "(the shared protos and bench corpus beside the clone); CI=true makes this an error.",
            yellow=True,
        )


def read_tree(root: Path) -> dict[str, bytes]:
    """Return every file under `root`: POSIX relative path → bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _content_diff(path: str, expected: bytes, actual: bytes) -> list[str]:
    """Return the unified diff of one file's two versions, naming what a line diff cannot show."""
    lines = list(
        difflib.unified_diff(
            expected.decode(errors="replace").splitlines(),
            actual.decode(errors="replace").splitlines(),
            f"expected/{path}",
            f"actual/{path}",
            lineterm="",
        )
    )
    if lines:
        return lines
    # splitlines() hides line endings and a final newline; the bytes still differ.
    if expected.replace(b"\r\n", b"\n") == actual.replace(b"\r\n", b"\n"):
        return [f"line endings differ: {path} (expected {_endings(expected)}, actual {_endings(actual)})"]
    if expected.rstrip(b"\r\n") == actual.rstrip(b"\r\n"):
        return [f"final newline differs: {path} (expected {_ending(expected)}, actual {_ending(actual)})"]
    return [f"bytes differ: {path} (same lines)"]


def _endings(content: bytes) -> str:
    return "CRLF" if b"\r\n" in content else "LF"


def _ending(content: bytes) -> str:
    trailing = content[len(content.rstrip(b"\r\n")) :]
    return repr(trailing.decode()) if trailing else "none"


def tree_diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """Return a readable report of how two trees differ ("" when equal, byte for byte).

    Args:
        expected: POSIX relative path → bytes, as `read_tree` returns.
        actual: the same for the tree under test.

    Returns:
        One line per missing or unexpected file and, per file whose bytes differ, its unified
        diff, or one line naming the difference a line diff cannot show (line endings, the
        final newline).
    """
    lines = []
    for path in sorted(expected.keys() - actual.keys()):
        lines.append(f"missing: {path}")
    for path in sorted(actual.keys() - expected.keys()):
        lines.append(f"unexpected: {path}")
    for path in sorted(expected.keys() & actual.keys()):
        if expected[path] != actual[path]:
            lines.extend(_content_diff(path, expected[path], actual[path]))
    return "\n".join(lines)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the repository root as the current directory (stable display paths)."""
    monkeypatch.chdir(REPO)
    return REPO


# --- PostgreSQL: POTTER_TEST_POSTGRES_URL (default the local server's `test` database) is only the
# admin connection; each test session creates a database `potter_test_<random>` of its own and
# drops it at the end. An unreachable server skips the PostgreSQL tests with the reason, or fails
# them when CI=true.

POSTGRES_ADMIN_URL = os.environ.get("POTTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session and dropped after it."""
    name = f"potter_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # refused, unknown host, bad credentials: asyncpg and SQLAlchemy differ
        reason = (
            f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)} "
            f"is not usable ({type(exc).__name__}: {exc}); start it with `bash .ci/services` "
            "or set POTTER_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """URL of an empty PostgreSQL database of this test alone, dropped after it."""
    name = f"potter_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


REDIS_URL = os.environ.get("POTTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis; tests must put a random prefix before their keys."""
    from redis import Redis

    try:
        with Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except Exception as exc:
        reason = (
            f"Redis at {REDIS_URL} is not usable ({type(exc).__name__}: {exc}); start it with `bash .ci/services redis`"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL
