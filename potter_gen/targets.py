"""The table of output files: template → output path → ownership → fan-out.

GENERATED files are rewritten on every run and carry the DO NOT EDIT header;
SCAFFOLD files are written once and then belong to the user (DESIGN.md,
"File ownership"). A path pattern may use `{package}`, and, per fan-out,
`{aggregate}` (one file per aggregate) or `{rpc_package}`/`{rpc}` (one file
per RPC), `{read_model}` (one per named read model), `{subscriber}` (one per
event subscriber) or `{state_index}` (one per indexed state field); SDK paths use `{sdk_package}`. Templates live under
`templates/<layer>/` at the same relative path plus `.j2`. Pure data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class FileKind(enum.Enum):
    """Who owns an output file after it is first written."""

    GENERATED = "generated"
    SCAFFOLD = "scaffold"


class Layer(enum.Enum):
    """What a run generates: the service project or the typed client SDK."""

    SERVICE = "service"
    SDK = "sdk"


class FanOut(enum.Enum):
    """How many files one target produces."""

    PROJECT = "project"
    AGGREGATE = "aggregate"
    RPC = "rpc"
    READ_MODEL = "read_model"
    STATE_INDEX = "state_index"
    SUBSCRIBER = "subscriber"


@dataclass(frozen=True)
class Target:
    """One row of the table.

    Attributes:
        path: output path pattern, relative to the project directory.
        kind: GENERATED or SCAFFOLD.
        fan_out: once per project, per aggregate or per RPC.
        layer: the table the row belongs to (its template directory).
    """

    path: str
    kind: FileKind
    fan_out: FanOut = FanOut.PROJECT
    layer: Layer = Layer.SERVICE

    @property
    def template(self) -> str:
        """Return the template's path relative to `templates/`."""
        return f"{self.layer.value}/{self.path}.j2"


G, S = FileKind.GENERATED, FileKind.SCAFFOLD
_PKG = "src/{package}"

SERVICE_TARGETS: tuple[Target, ...] = (
    Target("pyproject.toml", S),
    Target("Makefile", S),
    Target("README.md", S),
    Target(".gitignore", S),
    Target("docker-compose.yml", S),
    Target(".env.example", G),
    Target("alembic.ini", G),
    Target("migrations/env.py", G),
    Target("migrations/script.py.mako", S),
    Target("migrations/versions/potter_0001_event_store.py", G),
    Target("migrations/versions/potter_0002_operations.py", G),
    Target("migrations/versions/read_model_{read_model}.py", G, FanOut.READ_MODEL),
    Target("migrations/versions/state_index_{state_index}.py", G, FanOut.STATE_INDEX),
    Target("migrations/versions/state_partial_index_{state_index}.py", G, FanOut.STATE_INDEX),
    Target(f"{_PKG}/__init__.py", G),
    Target(f"{_PKG}/__main__.py", G),
    Target(f"{_PKG}/settings.py", S),
    Target(f"{_PKG}/bootstrap.py", G),
    Target(f"{_PKG}/domain/__init__.py", G),
    Target(f"{_PKG}/domain/models.py", G),
    Target(f"{_PKG}/domain/errors.py", G),
    Target(f"{_PKG}/domain/repositories.py", G),
    Target(f"{_PKG}/domain/aggregates/__init__.py", G),
    Target(f"{_PKG}/domain/aggregates/{{aggregate}}_base.py", G, FanOut.AGGREGATE),
    Target(f"{_PKG}/domain/aggregates/{{aggregate}}.py", S, FanOut.AGGREGATE),
    Target(f"{_PKG}/application/__init__.py", G),
    Target(f"{_PKG}/application/messages.py", G),
    Target(f"{_PKG}/application/bases.py", G),
    Target(f"{_PKG}/application/commands/__init__.py", G),
    Target(f"{_PKG}/application/queries/__init__.py", G),
    Target(f"{_PKG}/application/{{rpc_package}}/{{rpc}}.py", S, FanOut.RPC),
    Target(f"{_PKG}/application/read_models.py", G),
    Target(f"{_PKG}/application/projections/__init__.py", G),
    Target(f"{_PKG}/application/projections/{{read_model}}.py", S, FanOut.READ_MODEL),
    Target(f"{_PKG}/application/subscriber_bases.py", G),
    Target(f"{_PKG}/application/subscribers/__init__.py", G),
    Target(f"{_PKG}/application/subscribers/{{subscriber}}.py", S, FanOut.SUBSCRIBER),
    Target(f"{_PKG}/infrastructure/__init__.py", G),
    Target(f"{_PKG}/infrastructure/repositories.py", G),
    Target(f"{_PKG}/presentation/__init__.py", G),
    Target(f"{_PKG}/presentation/rest/__init__.py", G),
    Target(f"{_PKG}/presentation/rest/app.py", G),
    Target(f"{_PKG}/presentation/rest/routes.py", G),
    Target("tests/conftest.py", S),
    Target("tests/test_rest.py", S),
    Target("tests/test_subscribers.py", S),
)

_SDK = "src/{sdk_package}"

# Every SDK file is GENERATED: an SDK is regenerated whole, never edited.
SDK_TARGETS: tuple[Target, ...] = tuple(
    Target(path, G, layer=Layer.SDK)
    for path in (
        "pyproject.toml",
        "README.md",
        ".gitignore",
        f"{_SDK}/__init__.py",
        f"{_SDK}/py.typed",
        f"{_SDK}/models.py",
        f"{_SDK}/errors.py",
        f"{_SDK}/routes.py",
        f"{_SDK}/client.py",
        f"{_SDK}/async_client.py",
        "tests/test_client.py",
    )
)

TARGETS: dict[Layer, tuple[Target, ...]] = {Layer.SERVICE: SERVICE_TARGETS, Layer.SDK: SDK_TARGETS}
