"""Three-way merge of a new scaffold rendering into the user's file (libcst).

`merge_file(path, base, ours, theirs)` returns a `MergeResult`; see
`result.py` for the outcomes and `apply.py` for the rules. Pure; no I/O.
`merge_file` (and libcst, ~0.4 s to import) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from potter_gen.merge.result import Conflict, MergeResult, MergeStatus, trivial_merge

if TYPE_CHECKING:
    from potter_gen.merge.apply import merge_file

__all__ = ["Conflict", "MergeResult", "MergeStatus", "merge_file", "trivial_merge"]


def __getattr__(name: str) -> Any:
    if name == "merge_file":
        from potter_gen.merge.apply import merge_file

        return merge_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
