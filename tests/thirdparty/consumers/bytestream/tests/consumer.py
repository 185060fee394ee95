"""Read, a server-streaming RPC, as NDJSON over REST and as an iterator in the SDK."""

from __future__ import annotations

import base64
import json

import pytest
from bytestream_client import ApiError, BytestreamClient
from bytestream_client.models import ReadRequest
from bytestream_client.routes import READ
from fastapi.testclient import TestClient

BLOB = b"hello,\x00\xff world"


def test_the_stream_arrives_message_by_message(client: TestClient) -> None:
    chunks = list(BytestreamClient(http_client=client).read(ReadRequest(resource_name="blobs/greeting", read_offset=2, read_limit=4)))
    assert [c.data for c in chunks] == [BLOB[2:6], BLOB[6:10], BLOB[10:]]


def test_the_route_answers_ndjson(client: TestClient) -> None:
    response = client.post(READ.path, json={"resourceName": "blobs/greeting", "readOffset": "9", "readLimit": "0"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == [{"data": base64.b64encode(BLOB[9:]).decode()}]


def test_an_error_before_the_first_message_is_a_problem(client: TestClient) -> None:
    with pytest.raises(ApiError) as raised:
        list(BytestreamClient(http_client=client).read(ReadRequest(resource_name="blobs/absent")))
    assert (raised.value.status, raised.value.code) == (404, "NOT_FOUND")
