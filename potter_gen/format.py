"""Format generated Python with black, in process, in one fixed mode.

Pure: text in, text out. Only `.py` files are formatted; others pass through.
"""

from __future__ import annotations

import black

from potter_gen.errors import PotterError

# Fixed mode: the same bytes on every machine whatever the user's black config.
# Trailing commas the templates leave behind do not force one item per line.
_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88, magic_trailing_comma=False)


class FormatError(PotterError):
    """black could not parse a rendered file: a potter-gen bug, please report it."""


def format_source(path: str, text: str) -> str:
    """Return `text` formatted by black when `path` is a Python file.

    Args:
        path: the output path (only `.py` files are formatted).
        text: the rendered text.

    Raises:
        FormatError: the rendered Python does not parse; the message names the
            file and black's error.
    """
    if not path.endswith(".py"):
        return text
    try:
        return black.format_str(text, mode=_MODE)
    except black.InvalidInput as exc:  # a template bug, not a user error
        raise FormatError(f"{path}: generated code does not parse ({exc}); please report this bug") from exc
