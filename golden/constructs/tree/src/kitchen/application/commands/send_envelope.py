"""SendEnvelope command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from kitchen.application.bases import SendEnvelopeHandlerBase
from kitchen.application.messages import Empty
from kitchen.domain.models import Envelope


class SendEnvelopeHandler(SendEnvelopeHandlerBase):
    """SendEnvelope command."""

    async def handle(self, request: Envelope) -> Empty:
        raise NotImplementedRpcError("SendEnvelope")
