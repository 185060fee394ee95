"""Import command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from kitchen.application.bases import ImportHandlerBase
from kitchen.application.messages import ImportRequest, ImportResponse


class ImportHandler(ImportHandlerBase):
    """Import command."""

    async def handle(self, request: ImportRequest) -> ImportResponse:
        raise NotImplementedRpcError("Import")
