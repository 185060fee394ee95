"""Execute, hand-written for the test: reports the action executing, then done with its ExecuteResponse."""

from __future__ import annotations

from collections.abc import AsyncIterator

from execution.application.bases import ExecuteHandlerBase
from execution.application.messages import ExecuteRequest, Operation
from execution.domain.models import ActionResult, Digest, ExecuteResponse, LogFile

from potter_runtime.errors import InvalidArgumentError

API = "type.googleapis.com/build.bazel.remote.execution.v2"


class ExecuteHandler(ExecuteHandlerBase):
    """Streams google.longrunning.Operation messages (another proto package's type)."""

    async def handle(self, request: ExecuteRequest) -> AsyncIterator[Operation]:
        if request.action_digest is None:
            raise InvalidArgumentError("action_digest is required")
        name = f"{request.instance_name}/operations/{request.action_digest.hash}"
        metadata = {"@type": f"{API}.ExecuteOperationMetadata", "stage": "EXECUTING"}
        yield Operation(name=name, metadata=metadata)
        done = ExecuteResponse(
            result=ActionResult(exit_code=0, stdout_raw=b"built\n"),
            server_logs={"stderr": LogFile(digest=Digest(hash="ab" * 32, size_bytes=42), human_readable=True)},
        )
        yield Operation(name=name, done=True, response={"@type": f"{API}.ExecuteResponse", **done.model_dump(mode="json")})
