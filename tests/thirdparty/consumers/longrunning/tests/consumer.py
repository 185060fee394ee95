"""Operation.result, a oneof, over the wire: one member travels, the other is left out; both at once are rejected."""

from __future__ import annotations

import pydantic
import pytest
from fastapi.testclient import TestClient
from longrunning_client import LongrunningClient
from longrunning_client.models import GetOperationRequest, Operation, Status
from longrunning_client.routes import GET_OPERATION


def test_each_member_of_the_oneof_travels_alone(client: TestClient) -> None:
    sdk = LongrunningClient(http_client=client)
    failed = sdk.get_operation(GetOperationRequest(name="operations/missing"))
    assert (failed.done, failed.error, failed.response) == (True, Status(code=5, message="operations/missing not found"), None)
    succeeded = sdk.get_operation(GetOperationRequest(name="operations/built"))
    assert succeeded.error is None
    assert succeeded.response == {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "ok"}
    raw = client.post(GET_OPERATION.path, json={"name": "operations/missing"}).json()
    assert raw["error"]["code"] == 5 and "response" not in raw


def test_setting_both_members_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="result"):
        Operation(error=Status(code=5), response={"@type": "type.googleapis.com/google.protobuf.Empty"})
    with pytest.raises(pydantic.ValidationError, match="result"):
        Operation.model_validate_json('{"error": {"code": 5}, "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}')
