"""GetOperation, hand-written for the test: `.../missing` failed (the `error` member of the oneof), others succeeded."""

from __future__ import annotations

from longrunning.application.bases import GetOperationHandlerBase
from longrunning.application.messages import GetOperationRequest
from longrunning.domain.models import Operation, Status

NOT_FOUND = 5  # google.rpc.Code


class GetOperationHandler(GetOperationHandlerBase):
    """Answers every operation as done."""

    async def handle(self, request: GetOperationRequest) -> Operation:
        if request.name.endswith("/missing"):
            return Operation(name=request.name, done=True, error=Status(code=NOT_FOUND, message=f"{request.name} not found"))
        value = {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "ok"}
        return Operation(name=request.name, done=True, response=value)
