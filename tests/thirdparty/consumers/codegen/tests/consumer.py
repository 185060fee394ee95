"""Generate driven with real protoc messages: protobuf's own proto2 classes, converted with its JSON mapping.

descriptor.proto's own FileDescriptorProto is the payload: proto2 optional
fields set to their default, enums, nested messages and options. Unset and
set-to-default stay apart in both directions.
"""

from __future__ import annotations

from codegen_client import CodegenClient
from codegen_client.models import CodeGeneratorRequest
from fastapi.testclient import TestClient
from google.protobuf import descriptor_pb2, json_format
from google.protobuf.compiler import plugin_pb2


def protoc_request(parameter: str | None = None) -> plugin_pb2.CodeGeneratorRequest:
    """Return the request protoc would send to generate descriptor.proto."""
    request = plugin_pb2.CodeGeneratorRequest(file_to_generate=["google/protobuf/descriptor.proto"])
    descriptor_pb2.DESCRIPTOR.CopyToProto(request.proto_file.add())
    request.compiler_version.major = 33
    if parameter is not None:
        request.parameter = parameter
    return request


def as_model(message: plugin_pb2.CodeGeneratorRequest) -> CodeGeneratorRequest:
    return CodeGeneratorRequest.model_validate_json(json_format.MessageToJson(message))


def test_protobuf_json_reads_and_writes_back_unchanged() -> None:
    for parameter in (None, "", "lang=py"):
        original = protoc_request(parameter)
        model = as_model(original)
        assert model.parameter == parameter
        assert json_format.Parse(model.model_dump_json(), plugin_pb2.CodeGeneratorRequest()) == original


def test_the_plugin_answers_over_rest(client: TestClient) -> None:
    sdk = CodegenClient(http_client=client)
    answer = sdk.generate(as_model(protoc_request()))
    response = json_format.Parse(answer.model_dump_json(), plugin_pb2.CodeGeneratorResponse())
    assert not response.HasField("error")
    assert response.supported_features == plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    (listing,) = response.file
    assert listing.name == "google/protobuf/descriptor.proto.messages.txt"
    assert listing.content.splitlines() == [f"google.protobuf.{name}" for name in descriptor_pb2.DESCRIPTOR.message_types_by_name]


def test_an_empty_parameter_is_present(client: TestClient) -> None:
    sdk = CodegenClient(http_client=client)
    unset = json_format.Parse(sdk.generate(as_model(protoc_request())).model_dump_json(), plugin_pb2.CodeGeneratorResponse())
    assert [f.name for f in unset.file] == ["google/protobuf/descriptor.proto.messages.txt"]
    empty = json_format.Parse(sdk.generate(as_model(protoc_request(""))).model_dump_json(), plugin_pb2.CodeGeneratorResponse())
    assert [f.name for f in empty.file][1:] == ["parameter.txt"]
    assert empty.file[1].HasField("content") and empty.file[1].content == ""
