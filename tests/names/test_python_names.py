"""Python names never break a valid proto (issue 11, point 1).

Two shapes found in real APIs: two services of one file that both declare
`rpc UnimplementedCall` (grpc's test.proto), and fields named like builtins
or like what the generated models read (`oneof variant { int64 int = 1;
double float = 2; }`). Each generates a service and an SDK that pass ruff,
mypy and their own tests; the Python names are namespaced or escaped while
the JSON names stay exactly protobuf's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from potter_gen.pipeline import Generated, generate_tree
from potter_gen.targets import Layer
from tests.names.generated import GeneratedPair, generate_pair, run_checks
from tests.roundtrip.test_roundtrip import roundtrip_spec, run_roundtrip

PROTOS = Path(__file__).resolve().parent / "protos"


@pytest.fixture(scope="module")
def two_services(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPair:
    return generate_pair([PROTOS / "two_services.proto"], [PROTOS], tmp_path_factory.mktemp("two_services"))


@pytest.fixture(scope="module")
def builtin_fields(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPair:
    return generate_pair([PROTOS / "builtin_fields.proto"], [PROTOS], tmp_path_factory.mktemp("builtin_fields"))


@pytest.mark.parametrize("shape", ["two_services", "builtin_fields"])
@pytest.mark.parametrize("layer", ["service", "sdk"])
def test_generated_code_passes_ruff_mypy_and_its_own_tests(
    shape: str, layer: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pair: GeneratedPair = request.getfixturevalue(shape)
    run_checks(pair.service_dir if layer == "service" else pair.sdk_dir, tmp_path_factory.getbasetemp() / "mypy-cache")


def test_rpcs_repeated_across_services_are_namespaced_by_service(two_services: GeneratedPair) -> None:
    rpcs = {(rpc.service, rpc.name): rpc for rpc in two_services.project.rpcs}
    assert {key: (rpc.module, rpc.handler_class) for key, rpc in rpcs.items()} == {
        ("TestService", "UnaryCall"): ("unary_call", "UnaryCallHandler"),
        ("TestService", "UnimplementedCall"): ("test_service_unimplemented_call", "TestServiceUnimplementedCallHandler"),
        ("UnimplementedService", "UnimplementedCall"): (
            "unimplemented_service_unimplemented_call",
            "UnimplementedServiceUnimplementedCallHandler",
        ),
    }
    commands = two_services.service_dir / "src" / "testing" / "application" / "commands"
    assert sorted(p.name for p in commands.glob("*.py")) == [
        "__init__.py",
        "test_service_unimplemented_call.py",
        "unary_call.py",
        "unimplemented_service_unimplemented_call.py",
    ]
    client = two_services.sdk_file("client.py")
    assert "def test_service_unimplemented_call(" in client and "def unimplemented_service_unimplemented_call(" in client
    routes = two_services.service_file("presentation/rest/routes.py")
    assert 'operation_id="TestServiceUnimplementedCall"' in routes and 'operation_id="UnimplementedServiceUnimplementedCall"' in routes


def test_fields_named_like_builtins_get_safe_attributes_and_keep_their_json_names(builtin_fields: GeneratedPair) -> None:
    (value,) = [m for m in builtin_fields.project.messages if m.name == "Value"]
    assert {f.name: f.python_name for f in value.fields} == {
        "int": "int_",
        "float": "float_",
        "str": "str_",
        "bool": "bool_",
        "bytes": "bytes_",
        "list": "list_",
        "dict": "dict_",
        "set": "set_",
        "type": "type_",
        "object": "object_",
        "datetime": "datetime_",
        "Any": "Any_",
        "Field": "Field_",
    }
    assert value.oneofs == (("variant", ("int_", "float_", "str_", "bool_", "bytes_")),)


@pytest.mark.parametrize("shape", ["two_services", "builtin_fields"])
def test_models_read_and_write_protobufs_json(shape: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Every model of the service and the SDK round-trips with protobuf's json_format (the JSON names are protobuf's)."""
    pair: GeneratedPair = request.getfixturevalue(shape)
    spec, _ = roundtrip_spec([PROTOS / f"{shape}.proto"], [PROTOS], examples=10)

    output = run_roundtrip(spec, [pair.service_dir / "src", pair.sdk_dir / "src"], tmp_path)

    assert f"round-tripped {len(spec['classes'])} messages" in output  # type: ignore[arg-type]


SAME_CUSTOM_RPC = """syntax = "proto3";
package acme.depot.v1;
message Container { string id = 1; }
message GetContainerRequest { string id = 1; }
service FirstService { rpc InspectContainer(GetContainerRequest) returns (Container); }
service SecondService { rpc InspectContainer(GetContainerRequest) returns (Container); }
"""

CLIENT_MESSAGE = """syntax = "proto3";
package acme.depot.v1;
message Client { string id = 1; }
message PingRequest { Client client = 1; }
service DepotService { rpc Ping(PingRequest) returns (PingRequest); }
"""


def _generate(tmp_path: Path, text: str, layer: Layer = Layer.SERVICE) -> Generated:
    proto = tmp_path / "depot.proto"
    proto.write_text(text)
    return generate_tree([proto], [tmp_path], module="depot", layer=layer)


def test_a_repeated_custom_rpc_gets_a_route_per_service(tmp_path: Path) -> None:
    """Routes are keyed by RPC name too: the namespaced name is the route's last segment."""
    routes = {(rpc.http.method, rpc.http.path) for rpc in _generate(tmp_path, SAME_CUSTOM_RPC).project.rpcs}
    assert len(routes) == 2
    assert all(path.endswith(("/first_service_inspect_container", "/second_service_inspect_container")) for _, path in routes)


def test_the_sdk_client_class_steps_aside_for_a_message_of_its_name(tmp_path: Path) -> None:
    """A message `Client` becomes `DepotClient` (`Client` is a name the SDK imports), the SDK client's own name."""
    generated = _generate(tmp_path, CLIENT_MESSAGE, Layer.SDK)
    client = generated.tree["src/depot_client/client.py"].text
    assert "class DepotApiClient(" in client and "class DepotClient(" not in client
    models = generated.tree["src/depot_client/models.py"].text
    assert "class DepotClient(" in models
    compile(client, "client.py", "exec")
