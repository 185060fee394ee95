"""Typed outcomes of a three-way merge. Pure data."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MergeStatus(enum.Enum):
    """What the merge did to the user's file."""

    UNCHANGED = "unchanged"  # the file stays byte-for-byte as it is
    MERGED = "merged"  # the file takes the merged text
    CONFLICTED = "conflicted"  # both sides changed the same definition


@dataclass(frozen=True)
class Conflict:
    """One definition both the user and the generator changed.

    Attributes:
        name: qualified name of the definition (`CreateItemHandler.handle`).
        line: 1-based line of the definition in the user's file (0 if unknown).
        ours: the user's lines of the conflicting region (the smallest one
            the line-level merge found, else the whole definition).
        theirs: the new rendering of the same region.
        base: what potter-gen had rendered there last time ("" when unknown).
    """

    name: str
    line: int
    ours: str
    theirs: str
    base: str = ""


@dataclass(frozen=True)
class MergeResult:
    """The merge of one file.

    Attributes:
        status: unchanged, merged or conflicted.
        text: the merged text; for a conflict, the text with git diff3-style
            markers at column 0 around each conflicting region.
        conflicts: every conflicting definition (empty unless CONFLICTED).
        kept: definitions the new rendering no longer has but the user edited,
            so they were kept (qualified names).
    """

    status: MergeStatus
    text: str
    conflicts: tuple[Conflict, ...] = ()
    kept: tuple[str, ...] = ()


def trivial_merge(base: str | None, ours: str, theirs: str) -> MergeResult | None:
    """Return the result of a merge that needs no parsing, or None when both sides changed.

    Unchanged when the generator changed nothing (or both sides agree),
    theirs when the user changed nothing. Kept apart from `apply.py` so
    `update` imports libcst only for a file both sides changed.
    """
    if ours == theirs or theirs == base:
        return MergeResult(MergeStatus.UNCHANGED, ours)
    if ours == base:
        return MergeResult(MergeStatus.MERGED, theirs)
    return None
