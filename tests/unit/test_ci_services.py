"""`.ci/services`, which `make test` runs: it starts only the services it is given."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO

SERVICES = REPO / ".ci" / "services"


def test_no_service_named_starts_nothing_and_passes() -> None:
    run = subprocess.run(["bash", str(SERVICES)], capture_output=True, text=True, check=False)

    assert (run.returncode, run.stdout, run.stderr) == (0, "services: the tests need no backing service\n", "")


def test_an_unknown_service_is_named_with_the_known_ones() -> None:
    run = subprocess.run(["bash", str(SERVICES), "mongodb"], capture_output=True, text=True, check=False)

    assert run.returncode == 1
    assert run.stderr == "services: unknown service 'mongodb'; known: postgresql, redis, nats, rabbitmq\n"


def test_make_test_passes_the_makefile_services_and_ci_runs_the_readme_command() -> None:
    makefile = (REPO / "Makefile").read_text()
    readme = (REPO / "README.md").read_text()

    # A service that cannot be started stops `make test` only under CI=true; elsewhere its tests skip.
    assert '\tbash .ci/services $(SERVICES) || [ "$$CI" != true ]\n' in makefile
    services = re.search(r"^SERVICES :=(.*)$", makefile, re.M)
    # PostgreSQL: the store and e2e tests; NATS: the relay's; Redis: the query cache's.
    assert services is not None and services.group(1).split() == ["postgresql", "nats", "redis"]
    assert re.search(r"^make test\b", readme, re.M)
    assert (REPO / ".ci" / "run").read_text().rstrip().endswith("\nmake test")
