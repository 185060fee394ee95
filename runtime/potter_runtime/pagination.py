"""Page-number pagination over an in-memory sequence.

Pure; must not query storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def paginate(items: Sequence[T], *, page: int, page_size: int) -> list[T]:
    """Return one page of ``items``.

    Args:
        items: All items, already ordered.
        page: 1-based page number; values <= 0 mean the first page.
        page_size: Items per page; values <= 0 mean all items on one page.

    Returns:
        The items of the page; empty when the page is past the end.
    """
    if page_size <= 0:
        return list(items)
    start = (max(page, 1) - 1) * page_size
    return list(items[start : start + page_size])
