"""paginate edge cases."""

from __future__ import annotations

import pytest

from potter_runtime import paginate

ITEMS = list(range(1, 8))  # 7 items


@pytest.mark.parametrize(
    ("page", "page_size", "expected"),
    [
        (1, 3, [1, 2, 3]),
        (2, 3, [4, 5, 6]),
        (3, 3, [7]),
        (4, 3, []),
        (0, 3, [1, 2, 3]),
        (-5, 3, [1, 2, 3]),
        (1, 0, ITEMS),
        (9, -1, ITEMS),
        (1, 7, ITEMS),
        (1, 100, ITEMS),
    ],
)
def test_paginate(page: int, page_size: int, expected: list[int]) -> None:
    assert paginate(ITEMS, page=page, page_size=page_size) == expected


def test_paginate_empty_and_tuple() -> None:
    assert paginate([], page=1, page_size=10) == []
    assert paginate(("a", "b", "c"), page=2, page_size=2) == ["c"]
