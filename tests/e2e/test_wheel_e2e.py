"""End to end, as a user would: wheels → fresh venv → init → lint, test, serve, call.

Builds the potter-gen and potter-runtime wheels, installs them into a new
virtualenv, runs `potter-gen init` on the library example from there,
installs the generated project, runs its ruff, mypy and tests, then starts
`python -m library` on a free port and drives create, get, update, list and
delete over real HTTP, checking the events in the SQLite file; then
`potter-gen sdk` makes the client package, which is installed, linted,
tested, and used against the same running service. And the README's Usage,
run as written with potter-gen on PATH and no venv active: `potter-gen init`,
then the generated project's `make install test run`, which installs
potter-runtime from the potter-gen wheel (no index holds it) and serves.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.demo import free_port, wait_until_serving
from tests.conftest import EXAMPLE_PROTO, REPO
from tests.plugin.readme import section_blocks

pytestmark = pytest.mark.e2e


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run `command`; fail the test with its output when it exits non-zero."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build both wheels into one directory and return it."""
    dist = tmp_path_factory.mktemp("dist")
    for source in (REPO, REPO / "runtime"):
        run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)])
    return dist


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    """Return the bin directory of a fresh venv with both wheels and the generated project's tools."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(root)])
    bin_dir = root / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, *map(str, sorted(wheels.glob("*.whl"))), "hatchling", "editables", "pytest", "httpx", "ruff", "mypy"])
    return bin_dir


def test_wheel_ships_templates_and_options_proto(wheels: Path) -> None:
    """The potter-gen wheel carries the templates, options.proto and its compiled module."""
    wheel = next(wheels.glob("potter_gen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "potter_gen/proto/potter/options.proto" in names
    assert "potter_gen/_pb/potter/options_pb2.py" in names
    assert "potter_gen/templates/service/src/{package}/domain/models.py.j2" in names
    assert "potter_gen/templates/service/.env.example.j2" in names
    assert "potter_gen/templates/sdk/src/{sdk_package}/client.py.j2" in names
    assert "potter_gen/templates/_macros/messages.j2" in names
    assert "potter_gen/runtime/pyproject.toml" in names
    assert "potter_gen/runtime/potter_runtime/__init__.py" in names


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, venv: Path, wheels: Path) -> Path:
    """Init the library example with the installed wheel and install the result."""
    output = tmp_path_factory.mktemp("generated") / "library-service"
    work = tmp_path_factory.mktemp("cwd")  # not the repository: templates must come from the wheel
    run([str(venv / "potter-gen"), "init", "--proto", str(EXAMPLE_PROTO), "--output", str(output)], cwd=work)
    run(
        [str(venv / "python"), "-m", "pip", "install", "--quiet", "--no-build-isolation",
         "--find-links", str(wheels), "-e", f"{output}[dev]"]
    )
    return output


def test_generated_project_is_clean_and_its_tests_pass(venv: Path, project: Path, tmp_path: Path) -> None:
    """`ruff check`, `mypy` and `pytest` of the generated project pass right after init."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy")}
    run([str(venv / "ruff"), "check", "--no-cache", "src", "tests"], cwd=project, env=env)
    run([str(venv / "mypy")], cwd=project, env=env)
    output = run([str(venv / "python"), "-m", "pytest", "-p", "no:cacheprovider"], cwd=project, env=env)
    assert re.search(r"\b\d+ passed", output), output


@pytest.fixture
def server(venv: Path, project: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve the generated project with `python -m library`; yield (base URL, SQLite file)."""
    port = free_port()
    database = tmp_path / "library.db"
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    process = subprocess.Popen([str(venv / "python"), "-m", "library"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", database
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert process.returncode in (0, -15)


def test_service_answers_over_http_and_stores_events(server: tuple[str, Path]) -> None:
    """Create, get, update, list and delete a book over real HTTP; the events are in SQLite."""
    base, database = server
    with httpx.Client(base_url=base, timeout=10) as client:
        created = client.post("/api/v1/books", json={"title": "Dune", "author": "Frank Herbert", "copies": 3})
        assert created.status_code == 201, created.text
        book_id = created.json()["bookId"]

        got = client.get(f"/api/v1/books/{book_id}")
        assert got.status_code == 200
        assert got.json()["book"] == {
            "id": book_id, "title": "Dune", "author": "Frank Herbert", "copies": 3,
            "policy": "LENDING_POLICY_UNSPECIFIED", "onLoan": 0,
        }

        updated = client.patch(f"/api/v1/books/{book_id}", json={"title": "Dune Messiah", "author": "Frank Herbert", "copies": 2})
        assert updated.status_code == 200
        assert updated.json()["book"]["title"] == "Dune Messiah"

        listed = client.get("/api/v1/books", params={"pageSize": 10})
        assert listed.status_code == 200
        assert [b["id"] for b in listed.json()["books"]] == [book_id]
        assert listed.json()["total"] == 1

        assert client.delete(f"/api/v1/books/{book_id}").status_code == 200
        gone = client.get(f"/api/v1/books/{book_id}")
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"
        assert client.get("/api/v1/books").json()["books"] == []

        borrow = client.post("/api/v1/books/borrow_book", json={"bookId": book_id})
        assert borrow.status_code == 501
        assert "BorrowBook" in borrow.json()["detail"]

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT aggregate_id, version, event_type FROM events ORDER BY version").fetchall()
    assert rows == [
        (book_id, 1, "library.book.created"),
        (book_id, 2, "library.book.updated"),
        (book_id, 3, "library.book.deleted"),
    ]


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory, venv: Path, wheels: Path, project: Path) -> Path:
    """Generate the library SDK with the installed wheel and install it."""
    output = tmp_path_factory.mktemp("generated") / "library-client"
    work = tmp_path_factory.mktemp("cwd")
    run([str(venv / "potter-gen"), "sdk", "--proto", str(EXAMPLE_PROTO), "--output", str(output)], cwd=work)
    run(
        [str(venv / "python"), "-m", "pip", "install", "--quiet", "--no-build-isolation",
         "--find-links", str(wheels), "-e", f"{output}[dev]"]
    )
    return output


def test_sdk_is_clean_and_its_tests_pass(venv: Path, sdk: Path, tmp_path: Path) -> None:
    """The installed SDK passes its ruff, mypy --strict and its own tests."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy")}
    run([str(venv / "ruff"), "check", "--no-cache", "src", "tests"], cwd=sdk, env=env)
    run([str(venv / "mypy")], cwd=sdk, env=env)
    output = run([str(venv / "python"), "-m", "pytest", "-p", "no:cacheprovider"], cwd=sdk, env=env)
    assert re.search(r"\b\d+ passed", output), output


def test_readme_sdk_example_runs_against_the_running_service(venv: Path, sdk: Path, server: tuple[str, Path]) -> None:
    """The README's SDK snippet, run as written with the installed SDK, talks to `python -m library`."""
    base, database = server
    (example,) = section_blocks("python", "## The client SDK")
    script = example.replace("http://127.0.0.1:8000", base) + textwrap.dedent(
        """
        try:
            client.get_book(GetBookRequest(id="missing"))
        except ApiError as error:
            print(book.title, book.copies, error.status, error.code)
        """
    ).replace("client.get_book", "LibraryClient(sys.argv[1]).get_book")

    output = run([str(venv / "python"), "-c", "import sys\n" + script, base])

    assert output.split() == ["Dune", "3", "404", "NOT_FOUND"]
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT event_type FROM events").fetchall() == [("library.book.created",)]


def _path_without_venvs() -> str:
    """Return $PATH without any virtualenv's bin directory: a shell with no venv active."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and not (Path(p).parent / "pyvenv.cfg").exists())


def test_readme_usage_then_make_install_test_run_with_no_venv_active(venv: Path, tmp_path: Path) -> None:
    """README "Usage" as written: init from the clone, then the generated README's `make install test run` serves.

    potter-gen is on PATH as `pipx` puts it (a link to the script in its own
    venv); no venv is active, so the generated Makefile makes its own `.venv/`
    and installs potter-runtime from the potter-gen wheel (`potter-gen
    runtime`): no package index holds it.
    """
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / "potter-gen").symlink_to(venv / "potter-gen")
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "examples", clone / "examples")
    (usage,) = [block for block in section_blocks("sh", "## Usage") if "potter-gen init" in block]
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL")}
    env.update(PATH=f"{on_path}{os.pathsep}{_path_without_venvs()}", PORT=str(port))
    log = tmp_path / "usage.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", usage], cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            try:
                wait_until_serving(f"http://127.0.0.1:{port}", process, timeout=900)  # pip installs first
            except RuntimeError as exc:
                pytest.fail(f"{exc}; the snippet printed:\n{log.read_text()}")
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                created = client.post("/api/v1/books", json={"title": "Dune", "author": "Frank Herbert", "copies": 3})
                assert created.status_code == 201, created.text
                got = client.get(f"/api/v1/books/{created.json()['bookId']}")
                assert got.json()["book"]["title"] == "Dune"
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # make and the server it started, nothing else
            process.wait(timeout=30)

    project = clone / "library-service"
    (steps,) = section_blocks("sh", "# LibraryService", readme=project / "README.md")
    assert "cd library-service && make install test run" in usage
    assert steps == "make install test run\n"  # what the generated README says is what ran
    assert re.search(r"\b\d+ passed\b", log.read_text()), log.read_text()  # make test ran the generated tests
    assert (project / ".venv" / "bin" / "python").is_file()
    installed = run([str(project / ".venv" / "bin" / "python"), "-c", "import potter_runtime; print(potter_runtime.__file__)"])
    assert str(project / ".venv") in installed  # installed into the project's own venv, not imported from elsewhere
