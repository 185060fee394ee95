"""Real third-party protos, read from the installed packages that ship them as `.proto` sources.

Each is generated with no potter options at all (roles inferred from AIP
names, package derived from the proto package), as the service project and
as the client SDK; each must pass its own tests, `ruff check` and `mypy`.

| case | distribution | proto files | what it exercises |
|---|---|---|---|
| longrunning | googleapis-common-protos | google/longrunning/operations_proto.proto | a oneof (`Operation.result`) |
| location | googleapis-common-protos | google/cloud/location/locations.proto | a `map<string, string>` |
| bytestream | buildstream | google/bytestream/bytestream.proto | server streaming (`Read`), client streaming (`Write`, skipped) |
| reapi | buildstream | build/bazel/remote/execution/v2/remote_execution.proto, build/buildgrid/local_cas.proto | two files, five services in one project; server streaming of another package's message; bidi streaming (`StageTree`, skipped); a map of messages |
| codegen | grpcio-tools | google/protobuf/compiler/plugin.proto (+ descriptor.proto) | proto2: presence of optional fields |
| rules | protoc-gen-validate | validate.proto | proto2 with oneofs of messages |

buildstream and protoc-gen-validate are dev extras; the other two are
potter-gen's own dependencies. (The grpcio-health-checking, -reflection and
-channelz, opentelemetry-proto and xds-protos wheels ship only generated
`_pb2` modules, no `.proto`.)

plugin.proto and validate.proto declare no service: they are generated
through a small wrapper proto of ours (`protos/potter_thirdparty/`) that
imports them and declares one taking their messages.

Where `consumers/<case>/` exists, a copy of the service gets those files
(hand-written handlers replacing scaffolds, and a test) and is driven by the
generated SDK through the service's own app: every construct goes over the
wire both ways, and the hand-written code must pass `mypy --strict` against
the generated API.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from potter_gen.errors import Severity
from potter_gen.ir import FieldKind, Message, Project
from potter_gen.pipeline import Generated, init_project
from potter_gen.targets import Layer
from tests.roundtrip.test_roundtrip import roundtrip_spec, run_roundtrip

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
WRAPPERS = HERE / "protos"
CONSUMERS = HERE / "consumers"


@dataclass(frozen=True)
class Case:
    """A generation input: proto files (import paths) of one installed distribution.

    Attributes:
        distribution: the distribution that ships the `.proto` files.
        protos: their import paths (as `import "..."` names them).
        package: the Python package potter-gen derives.
        wrapper: our proto (under `protos/`) that imports them and declares a service, when they declare none.
    """

    distribution: str
    protos: tuple[str, ...]
    package: str
    wrapper: str = ""


CASES = {
    "longrunning": Case("googleapis-common-protos", ("google/longrunning/operations_proto.proto",), "longrunning"),
    "location": Case("googleapis-common-protos", ("google/cloud/location/locations.proto",), "location"),
    "bytestream": Case("buildstream", ("google/bytestream/bytestream.proto",), "bytestream"),
    "reapi": Case(
        "buildstream",
        ("build/bazel/remote/execution/v2/remote_execution.proto", "build/buildgrid/local_cas.proto"),
        "execution",
    ),
    "codegen": Case("grpcio-tools", ("google/protobuf/compiler/plugin.proto",), "codegen", "potter_thirdparty/codegen.proto"),
    "rules": Case("protoc-gen-validate", ("validate.proto",), "rules", "potter_thirdparty/rules.proto"),
}


def installed_proto(distribution: str, name: str) -> tuple[Path, Path]:
    """Return the installed file of `distribution` imported as `name`, and the include dir it is imported from."""
    parts = PurePosixPath(name).parts
    for file in importlib.metadata.files(distribution) or ():
        if PurePosixPath(file).parts[-len(parts) :] == parts:
            path = Path(str(file.locate())).resolve()
            return path, path.parents[len(parts) - 1]
    raise AssertionError(f"{distribution} {importlib.metadata.version(distribution)} installs no {name}")


@dataclass(frozen=True)
class Generation:
    """One case generated once: the service project and the SDK."""

    case: Case
    sources: dict[str, Path]  # import path → installed file
    protos: list[Path]  # what was generated from
    includes: list[Path]
    service: Generated
    service_dir: Path
    sdk: Generated
    sdk_dir: Path

    @property
    def project(self) -> Project:
        return self.service.project

    def message(self, full_name: str) -> Message:
        return next(m for m in self.project.messages if m.full_name == full_name)

    def service_file(self, relative: str) -> str:
        return (self.service_dir / "src" / self.project.package / relative).read_text()

    def sdk_file(self, relative: str) -> str:
        return (self.sdk_dir / "src" / f"{self.project.package}_client" / relative).read_text()


class Projects:
    """Generates each case on first use (module-scoped: once per test run), sharing one mypy cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mypy_cache = root / "mypy-cache"
        self._done: dict[str, Generation] = {}

    def __getitem__(self, name: str) -> Generation:
        if name not in self._done:
            case = CASES[name]
            located = {proto: installed_proto(case.distribution, proto) for proto in case.protos}
            includes = list(dict.fromkeys(include for _, include in located.values()))
            protos = [WRAPPERS / case.wrapper] if case.wrapper else [path for path, _ in located.values()]
            if case.wrapper:
                includes.insert(0, WRAPPERS)
            service_dir, sdk_dir = self.root / name / "service", self.root / name / "sdk"
            service = init_project(protos, service_dir, includes)
            sdk = init_project(protos, sdk_dir, includes, layer=Layer.SDK)
            sources = {p: path for p, (path, _) in located.items()}
            self._done[name] = Generation(case, sources, protos, includes, service, service_dir, sdk, sdk_dir)
        return self._done[name]

    def run(self, project: Path, command: list[str], *pythonpath: Path) -> None:
        """Run `command` in `project` (its `src/` and `pythonpath` importable); fail with its output."""
        paths = [project / "src", *pythonpath]
        env = {
            **os.environ,
            "MYPY_CACHE_DIR": str(self.mypy_cache),
            "PYTHONPATH": os.pathsep.join(map(str, paths)),
            "MYPYPATH": os.pathsep.join(map(str, pythonpath)),
        }
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{' '.join(command)} failed in {project}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Projects:
    return Projects(tmp_path_factory.mktemp("thirdparty"))


RUFF = [str(BIN / "ruff"), "check", "--no-cache", "src", "tests"]
MYPY = [str(BIN / "mypy")]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:golden"]


@pytest.mark.parametrize("case", list(CASES))
def test_service_project_passes_ruff_mypy_and_its_own_tests(projects: Projects, case: str) -> None:
    generated = projects[case]
    assert generated.project.package == CASES[case].package
    for command in (RUFF, MYPY, PYTEST):
        projects.run(generated.service_dir, command)


@pytest.mark.parametrize("case", list(CASES))
def test_sdk_passes_ruff_mypy_and_its_own_tests(projects: Projects, case: str) -> None:
    generated = projects[case]
    assert (generated.sdk_dir / "src" / f"{CASES[case].package}_client" / "client.py").is_file()
    for command in (RUFF, MYPY, PYTEST):
        projects.run(generated.sdk_dir, command)


@pytest.mark.parametrize("case", sorted(p.name for p in CONSUMERS.iterdir() if p.is_dir()))
def test_sdk_drives_the_service_with_hand_written_handlers(projects: Projects, case: str, tmp_path: Path) -> None:
    generated = projects[case]
    service = shutil.copytree(generated.service_dir, tmp_path / "service")
    shutil.copytree(CONSUMERS / case, service, dirs_exist_ok=True)
    sdk_src = generated.sdk_dir / "src"
    projects.run(service, MYPY, sdk_src)
    projects.run(service, [*PYTEST, "tests/consumer.py"], sdk_src)


# -- the constructs, read from the generated code --------------------------------


def _class_body(module: str, class_name: str) -> str:
    """Return the source of `class_name` in a generated module's text."""
    return module[module.index(f"\nclass {class_name}(") :].split("\n\n\nclass ")[0]


def _squeezed(code: str) -> str:
    """Return `code` without whitespace or trailing commas, to compare it across black's line wrapping."""
    return "".join(code.split()).replace(",]", "]").replace(",)", ")")


def _rpc_line_col(proto: Path, rpc: str) -> tuple[int, int]:
    """Return the 1-based line and column of `rpc <name>(` in `proto`, as protoc reports it."""
    for number, line in enumerate(proto.read_text().splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith(f"rpc {rpc}(") or stripped.startswith(f"rpc {rpc} ("):
            return number, len(line) - len(stripped) + 1
    raise AssertionError(f"no rpc {rpc} in {proto}")


@pytest.mark.parametrize(
    ("case", "proto", "rpc", "method", "kind"),
    [
        ("bytestream", "google/bytestream/bytestream.proto", "Write", "write", "client"),
        ("reapi", "build/buildgrid/local_cas.proto", "StageTree", "stage_tree", "bidirectional"),
    ],
)
def test_client_and_bidi_streaming_rpcs_are_skipped_with_a_located_warning(
    projects: Projects, case: str, proto: str, rpc: str, method: str, kind: str
) -> None:
    generated = projects[case]
    installed = generated.sources[proto]
    line, column = _rpc_line_col(installed, rpc)
    for run in (generated.service, generated.sdk):
        (warning,) = [d for d in run.diagnostics if d.severity is Severity.WARNING and f"RPC {rpc} " in d.message]
        assert warning.location is not None
        assert (Path(warning.location.file).resolve(), warning.location.line, warning.location.column) == (installed, line, column)
        assert warning.format() == (
            f"{warning.location}: warning: RPC {rpc} is {kind} streaming, which only gRPC can serve; REST skips it. "
            "It will be served once the gRPC transport is generated."
        )
        assert rpc not in {r.name for s in run.project.services for r in s.rpcs}
    assert not list((generated.service_dir / "src").rglob(f"{method}.py"))
    assert f"def {method}(" not in generated.service_file("presentation/rest/routes.py")
    assert f"def {method}(" not in generated.sdk_file("client.py")


@pytest.mark.parametrize(
    ("case", "rpc", "method", "response"),
    [
        ("bytestream", "Read", "read", "ReadResponse"),
        ("reapi", "Execute", "execute", "Operation"),
        ("reapi", "WaitExecution", "wait_execution", "Operation"),
        ("reapi", "GetTree", "get_tree", "GetTreeResponse"),
    ],
)
def test_server_streaming_rpcs_get_an_ndjson_route_and_sdk_iterators(
    projects: Projects, case: str, rpc: str, method: str, response: str
) -> None:
    generated = projects[case]
    (built,) = [r for s in generated.project.services for r in s.rpcs if r.name == rpc]
    assert built.server_streaming and not built.client_streaming
    assert built.response.class_name == response
    routes = generated.service_file("presentation/rest/routes.py")
    route = routes[routes.index(f"async def {method}(") :].split("\n\n\n")[0]
    assert "-> StreamingResponse:" in route and f"ndjson_response(container.{method}.handle(body))" in route
    client, async_client = generated.sdk_file("client.py"), generated.sdk_file("async_client.py")
    assert f"def {method}(" in client and f"-> Iterator[{response}]:" in client[client.index(f"def {method}(") :].split("\n\n")[0]
    async_method = async_client[async_client.index(f"def {method}(") :].split("\n\n")[0]
    assert f"-> AsyncIterator[{response}]:" in async_method


@pytest.mark.parametrize(
    ("case", "message", "field", "annotation", "in_sdk"),
    [
        ("location", ".google.cloud.location.Location", "labels", "dict[str, str]", True),
        # ExecuteResponse travels packed in an Any (Operation.response): no RPC of the SDK names it.
        ("reapi", ".build.bazel.remote.execution.v2.ExecuteResponse", "server_logs", "dict[str, LogFile]", False),
    ],
)
def test_map_fields_are_dicts(projects: Projects, case: str, message: str, field: str, annotation: str, in_sdk: bool) -> None:
    generated = projects[case]
    built = generated.message(message)
    (map_field,) = [f for f in built.fields if f.name == field]
    assert (map_field.kind, map_field.annotation, map_field.default_factory) == (FieldKind.MAP, annotation, "dict")
    modules = [generated.service_file("domain/models.py" if built.is_domain else "application/messages.py")]
    modules += [generated.sdk_file("models.py")] if in_sdk else []
    for models in modules:
        assert f"{field}: {annotation} = Field(" in _class_body(models, built.class_name)


@pytest.mark.parametrize(
    ("case", "message", "oneof", "members"),
    [
        ("longrunning", ".google.longrunning.Operation", "result", ["error", "response"]),
        (
            "rules",
            ".validate.FieldRules",
            "type",
            # validate.proto's FieldRules: the rules of each field type.
            "float double int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64 sfixed32 sfixed64 bool string bytes "
            "enum repeated map any duration timestamp".split(),
        ),
    ],
)
def test_oneof_members_are_optional_with_a_validator(
    projects: Projects, case: str, message: str, oneof: str, members: list[str]
) -> None:
    generated = projects[case]
    built = generated.message(message)
    in_oneof = [f for f in built.fields if f.oneof == oneof]
    assert [f.name for f in in_oneof] == members
    assert all(f.annotation.endswith(" | None") and f.default == "None" for f in in_oneof)
    check = f'check_oneof(self, "{oneof}", [{", ".join(f"{chr(34)}{f.python_name}{chr(34)}" for f in in_oneof)}])'
    module = "domain/models.py" if built.is_domain else "application/messages.py"
    for models in (generated.service_file(module), generated.sdk_file("models.py")):
        body = _class_body(models, built.class_name)
        assert '@model_validator(mode="after")' in body and _squeezed(check) in _squeezed(body)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("codegen", ".google.protobuf.compiler.CodeGeneratorRequest"),
        ("codegen", ".google.protobuf.compiler.CodeGeneratorResponse"),
        ("codegen", ".google.protobuf.FieldDescriptorProto"),
        ("rules", ".validate.StringRules"),
        ("rules", ".validate.MessageRules"),
    ],
)
def test_proto2_optional_fields_have_presence(projects: Projects, case: str, message: str) -> None:
    """A proto2 `optional` field is `T | None = None`: unset is told apart from the type's default."""
    generated = projects[case]
    built = generated.message(message)
    singular = [f for f in built.fields if not f.is_repeated and f.kind is not FieldKind.MAP]
    assert singular
    for field in singular:
        assert field.is_optional and field.annotation.endswith(" | None") and field.default == "None", field


@pytest.mark.parametrize("case", list(CASES))
def test_models_round_trip_through_json_and_binary(projects: Projects, case: str, tmp_path: Path) -> None:
    """Every message of the service and the SDK reads and writes what protobuf's json_format does (Hypothesis)."""
    generation = projects[case]
    spec, _ = roundtrip_spec(generation.protos, generation.includes, examples=10)

    output = run_roundtrip(spec, [generation.service_dir / "src", generation.sdk_dir / "src"], tmp_path)

    assert f"round-tripped {len(spec['classes'])} messages" in output  # type: ignore[arg-type]
