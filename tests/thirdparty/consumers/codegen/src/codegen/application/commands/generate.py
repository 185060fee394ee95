"""Generate, hand-written for the test: a plugin that lists the messages of each file to generate."""

from __future__ import annotations

from codegen.application.bases import GenerateHandlerBase
from codegen.application.messages import CodeGeneratorRequest, CodeGeneratorResponse, CodeGeneratorResponseFile

FEATURE_PROTO3_OPTIONAL = 1  # CodeGeneratorResponse.Feature


class GenerateHandler(GenerateHandlerBase):
    """Writes `<file>.messages.txt` per file to generate, and `parameter.txt` when a parameter is present (even "")."""

    async def handle(self, request: CodeGeneratorRequest) -> CodeGeneratorResponse:
        files = {f.name: f for f in request.proto_file}
        out = []
        for name in request.file_to_generate:
            proto = files.get(name)
            if proto is None:
                return CodeGeneratorResponse(error=f"{name} is not among proto_file")
            lines = [f"{proto.package}.{m.name}\n" for m in proto.message_type]
            out.append(CodeGeneratorResponseFile(name=f"{name}.messages.txt", content="".join(lines)))
        if request.parameter is not None:
            out.append(CodeGeneratorResponseFile(name="parameter.txt", content=request.parameter))
        return CodeGeneratorResponse(supported_features=FEATURE_PROTO3_OPTIONAL, file=out)
