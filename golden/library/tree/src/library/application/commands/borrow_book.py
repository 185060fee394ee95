"""BorrowBook command handler: yours to edit; potter-gen update merges proto changes in."""

from __future__ import annotations

from potter_runtime.errors import NotImplementedRpcError

from library.application.bases import BorrowBookHandlerBase
from library.application.messages import BorrowBookRequest, BorrowBookResponse


class BorrowBookHandler(BorrowBookHandlerBase):
    """Lend a copy of a book to a member. Fails with BookUnavailable when no
    copy is left.
    """

    async def handle(self, request: BorrowBookRequest) -> BorrowBookResponse:
        raise NotImplementedRpcError("BorrowBook")
