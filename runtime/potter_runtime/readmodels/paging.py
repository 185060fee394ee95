"""AIP-158 pagination for read models: page sizes, opaque page tokens, and equality filters.

Pure; must not query storage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic_core import to_jsonable_python

from potter_runtime.errors import InvalidArgumentError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
"""Page size used when a request leaves ``page_size`` at 0 (AIP-158: the server chooses)."""

MAX_PAGE_SIZE = 1000
"""Larger page sizes are lowered to this (AIP-158: coerce, do not reject)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list.

    Attributes:
        items: The page's items, in the list's order.
        next_page_token: Token of the next page; "" when this page is the last (AIP-158).
    """

    items: list[T] = field(default_factory=list)
    next_page_token: str = ""


@dataclass(frozen=True)
class CountedPage(Page[T]):
    """One page of a list and the list's total size.

    Attributes:
        total: How many items the whole list holds, all pages together (int);
            AIP-158 calls a response field carrying it ``total_size``.
    """

    total: int = 0


def page_size_of(page_size: int) -> int:
    """Return the page size to use for a requested one (AIP-158).

    Args:
        page_size: The request's ``page_size``: 0 for the default.

    Returns:
        ``DEFAULT_PAGE_SIZE`` for 0, at most ``MAX_PAGE_SIZE`` otherwise.

    Raises:
        InvalidArgumentError: ``page_size`` is negative.
    """
    if page_size < 0:
        raise InvalidArgumentError(f"page_size must not be negative, got {page_size}")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def filter_json(filters: Mapping[str, object] | None) -> dict[str, Any]:
    """Return the filters that are set, as JSON values, sorted by name.

    A value at its proto3 default (None, "", 0, False, empty list) is not set:
    it filters nothing. Enums and other models become their JSON form.
    """
    values = {name: to_jsonable_python(value) for name, value in sorted((filters or {}).items())}
    return {name: value for name, value in values.items() if value not in (None, "", 0, False, [], {})}


class PageTokens:
    """Encodes and checks the opaque ``page_token`` of one list (AIP-158).

    A token carries the last key of its page and a digest of the filters it
    was issued for, so a token reused with other filters is rejected instead
    of returning a wrong page. Tokens are not secret: a forged one can only
    start a page at another key.

    Args:
        scope: Names the list (e.g. ``"state:Book"``); a token of another list is rejected.
    """

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def encode(self, after: str, filters: Mapping[str, Any]) -> str:
        """Return the token of the page that follows key ``after``."""
        data = {"s": self.scope, "a": after, "f": _digest(filters)}
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, token: str, filters: Mapping[str, Any]) -> str | None:
        """Return the key a token's page starts after; None for the empty token (first page).

        Raises:
            InvalidArgumentError: The token is malformed, belongs to another
                list, or was issued for other filters.
        """
        if not token:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            scope, after, digest = data["s"], data["a"], data["f"]
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise InvalidArgumentError("page_token is not a token this list issued; omit it to get the first page") from exc
        if scope != self.scope or not isinstance(after, str):
            raise InvalidArgumentError("page_token belongs to another list; omit it to get the first page")
        if digest != _digest(filters):
            raise InvalidArgumentError(
                "page_token was issued for other filters; send the same filters as the first page, or omit page_token"
            )
        return after


def _digest(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
