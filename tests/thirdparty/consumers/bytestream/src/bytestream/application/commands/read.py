"""Read, hand-written for the test: serves blobs from memory in chunks of `read_limit` bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bytestream.application.bases import ReadHandlerBase
from bytestream.application.messages import ReadRequest, ReadResponse

from potter_runtime.errors import InvalidArgumentError, NotFoundError

BLOBS = {"blobs/greeting": b"hello,\x00\xff world"}  # not UTF-8: bytes must travel as base64


class ReadHandler(ReadHandlerBase):
    """Streams a blob from `read_offset`, `read_limit` bytes per message (whole when 0)."""

    async def handle(self, request: ReadRequest) -> AsyncIterator[ReadResponse]:
        blob = BLOBS.get(request.resource_name)
        if blob is None:
            raise NotFoundError(f"no blob {request.resource_name}")
        if request.read_offset < 0 or request.read_offset > len(blob):
            raise InvalidArgumentError(f"read_offset {request.read_offset} is outside the blob")
        size = request.read_limit or len(blob)
        for start in range(request.read_offset, len(blob), size):
            yield ReadResponse(data=blob[start : start + size])
