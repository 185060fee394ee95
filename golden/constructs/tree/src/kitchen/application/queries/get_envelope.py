"""GetEnvelope query handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from kitchen.application.bases import GetEnvelopeHandlerBase
from kitchen.application.messages import GetEnvelopeRequest
from kitchen.domain.models import Envelope


class GetEnvelopeHandler(GetEnvelopeHandlerBase):
    """GetEnvelope query."""

    async def handle(self, request: GetEnvelopeRequest) -> Envelope:
        raise NotImplementedRpcError("GetEnvelope")
