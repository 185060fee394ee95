"""Three-way merge of a new scaffold rendering into the user's file (libcst).

`merge_file(path, base, ours, theirs)` returns a `MergeResult`; see
`result.py` for the outcomes and `apply.py` for the rules. Pure; no I/O.
"""

from potter_gen.merge.apply import merge_file
from potter_gen.merge.result import Conflict, MergeResult, MergeStatus

__all__ = ["Conflict", "MergeResult", "MergeStatus", "merge_file"]
