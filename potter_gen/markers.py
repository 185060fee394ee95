"""git's conflict markers, as potter-gen writes and finds them. Pure; no libcst (start-up cost).

Git's diff3 conflict style, at column 0 so that editors and `git diff
--check` see them: `<<<<<<< yours`, `||||||| base`, `=======`,
`>>>>>>> potter-gen`.
"""

from __future__ import annotations

import re

OURS_MARKER = "<<<<<<< yours"
BASE_MARKER = "||||||| base"
SPLIT_MARKER = "======="
THEIRS_MARKER = ">>>>>>> potter-gen"

# A line git would take for a conflict marker: seven marker characters at column 0, then an end or a space.
_MARKER_LINE = re.compile(r"^(<{7}|\|{7}|={7}|>{7})(?: |$)")


def marker_lines(text: str) -> list[int]:
    """Return the 1-based numbers of the lines of `text` that are conflict markers (git's rule: column 0)."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if _MARKER_LINE.match(line)]
