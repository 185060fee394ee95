"""black 26.10.1 in potter-gen's fixed mode: the reference style generated code must already be in."""

from __future__ import annotations

import black

#: Line length 88, target py311, magic trailing comma off (`potter_gen.format` gets these bytes from ruff).
BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88, magic_trailing_comma=False)


def is_black_stable(text: str) -> bool:
    """Tell whether black in `BLACK_MODE` leaves `text` exactly as it is."""
    return black.format_str(text, mode=BLACK_MODE) == text
