"""Line-level three-way merge (diff3) and git-style conflict markers. Pure.

The algorithm is diff3 as described by Khanna, Kuber and Pierce, "A Formal
Investigation of Diff3" (FSTTCS 2007): lines of the base that both sides
kept at matching positions are stable; between two stable lines each side's
chunk is taken as changed by one side (take it), changed alike by both (take
it once) or changed differently (a conflict). Matches come from difflib's
SequenceMatcher. Written here rather than taken from a library: the one
maintained pure-Python diff3 on PyPI (merge3) is GPL-2.0-or-later, which
potter-gen (Apache-2.0) cannot depend on, and `git merge-file` needs git,
which a generated project's user may not have.

Conflicts are written with git's markers (`potter_gen.markers`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from potter_gen.markers import BASE_MARKER, OURS_MARKER, SPLIT_MARKER, THEIRS_MARKER


@dataclass(frozen=True)
class Chunk:
    """One region of a three-way line merge.

    Attributes:
        lines: the merged lines (each with its line end) when the region merged cleanly.
        conflict: True when both sides changed the region differently; then
            `base`, `ours` and `theirs` hold each side's lines and `lines` is empty.
        at: 0-based index of the region's first line in the user's lines.
    """

    lines: tuple[str, ...] = ()
    conflict: bool = False
    base: tuple[str, ...] = ()
    ours: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()
    at: int = 0


def _matches(base: Sequence[str], other: Sequence[str]) -> dict[int, int]:
    """Return base line index → other line index for every line SequenceMatcher matched (monotonic)."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return {block.a + n: block.b + n for block in matcher.get_matching_blocks() for n in range(block.size)}


def merge_lines(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[Chunk]:
    """Merge two revisions of a list of lines against their common base.

    Args:
        base: the lines both sides started from.
        ours: the user's lines.
        theirs: the generator's lines.

    Returns:
        The regions in order; joining the `lines` of clean regions (and
        choosing a side for each conflict) gives the merged text.
    """
    to_ours, to_theirs = _matches(base, ours), _matches(base, theirs)
    chunks: list[Chunk] = []
    i = j = k = 0
    while i < len(base) or j < len(ours) or k < len(theirs):
        if i < len(base) and to_ours.get(i) == j and to_theirs.get(i) == k:
            chunks.append(Chunk((base[i],), at=j))
            i, j, k = i + 1, j + 1, k + 1
            continue
        stable = next((m for m in range(i, len(base)) if m in to_ours and m in to_theirs), None)
        m, next_j, next_k = (len(base), len(ours), len(theirs)) if stable is None else (stable, to_ours[stable], to_theirs[stable])
        b, o, t = tuple(base[i:m]), tuple(ours[j:next_j]), tuple(theirs[k:next_k])
        if o == b or o == t:
            chunks.append(Chunk(t, at=j))
        elif t == b:
            chunks.append(Chunk(o, at=j))
        else:
            chunks.append(Chunk(conflict=True, base=b, ours=o, theirs=t, at=j))
        i, j, k = m, next_j, next_k
    return chunks


def has_conflicts(chunks: Sequence[Chunk]) -> bool:
    """Tell whether any region of a merge conflicts."""
    return any(chunk.conflict for chunk in chunks)


def _ended(lines: Sequence[str]) -> list[str]:
    return [line if line.endswith("\n") else line + "\n" for line in lines]


def with_markers(chunks: Sequence[Chunk], indent: str = "") -> str:
    """Return the merged text, each conflict between git diff3-style markers at column 0.

    Args:
        chunks: a merge from `merge_lines`.
        indent: prefixed to every non-blank content line (not to markers), for
            a block whose lines were merged without their indentation.
    """
    out: list[str] = []

    def add(lines: Sequence[str]) -> None:
        out.extend(f"{indent}{line}" if line.strip() else line for line in _ended(lines))

    for chunk in chunks:
        if not chunk.conflict:
            add(chunk.lines)
            continue
        out.append(OURS_MARKER + "\n")
        add(chunk.ours)
        out.append(BASE_MARKER + "\n")
        add(chunk.base)
        out.append(SPLIT_MARKER + "\n")
        add(chunk.theirs)
        out.append(THEIRS_MARKER + "\n")
    return "".join(out)


def merged_text(chunks: Sequence[Chunk]) -> str:
    """Return the text of a merge without conflicts."""
    assert not has_conflicts(chunks), "merged_text needs a merge without conflicts"
    return "".join(line for chunk in chunks for line in chunk.lines)
