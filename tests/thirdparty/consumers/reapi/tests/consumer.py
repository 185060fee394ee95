"""Execute streams google.longrunning.Operation; the last one carries an ExecuteResponse with a map of messages."""

from __future__ import annotations

import json

from execution.domain.models import ExecuteResponse
from execution_client import ExecutionClient
from execution_client.models import Digest, ExecuteRequest
from execution_client.routes import EXECUTE
from fastapi.testclient import TestClient

ACTION = Digest(hash="cd" * 32, size_bytes=2**40)


def test_the_operations_arrive_in_order(client: TestClient) -> None:
    operations = list(ExecutionClient(http_client=client).execute(ExecuteRequest(instance_name="main", action_digest=ACTION)))
    assert [(o.name, o.done) for o in operations] == [(f"main/operations/{ACTION.hash}", False), (f"main/operations/{ACTION.hash}", True)]
    assert operations[0].metadata == {"@type": "type.googleapis.com/build.bazel.remote.execution.v2.ExecuteOperationMetadata", "stage": "EXECUTING"}
    assert operations[1].response is not None
    # An Any holds its type URL beside the packed message's fields: unpack without it.
    packed = {key: value for key, value in operations[1].response.items() if key != "@type"}
    response = ExecuteResponse.model_validate(packed)
    assert response.result is not None and response.result.stdout_raw == b"built\n"
    assert set(response.server_logs) == {"stderr"}
    log = response.server_logs["stderr"]
    assert log.human_readable and log.digest is not None and log.digest.size_bytes == 42


def test_the_wire_form_is_proto3_json(client: TestClient) -> None:
    body = {"instanceName": "main", "actionDigest": {"hash": ACTION.hash, "sizeBytes": str(2**40)}}
    lines = [json.loads(line) for line in client.post(EXECUTE.path, json=body).text.splitlines()]
    logs = lines[1]["response"]["serverLogs"]
    assert logs == {"stderr": {"digest": {"hash": "ab" * 32, "sizeBytes": "42"}, "humanReadable": True}}
    assert lines[1]["response"]["result"]["stdoutRaw"] == "YnVpbHQK"  # base64 of b"built\n"
