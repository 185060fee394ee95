"""ImportBooks command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from library.application.bases import ImportBooksHandlerBase
from library.application.messages import ImportBooksRequest, ImportBooksResponse


class ImportBooksHandler(ImportBooksHandlerBase):
    """Catalogue a batch of books in the background: answered 202 with an
    operation to poll at its Location (GET /api/v1/operations/{id}).
    """

    async def handle(self, request: ImportBooksRequest) -> ImportBooksResponse:
        raise NotImplementedRpcError("ImportBooks")
