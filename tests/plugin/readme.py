"""Read the code blocks of a README section (by default "protoc and buf") and run its shell snippets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.plugin.helpers import BUF, PLUGIN

SECTION = "## protoc and buf"
_BLOCK = re.compile(r"^```(?P<lang>\w+)\n(?P<body>.*?)^```$", re.M | re.S)


def section_blocks(lang: str, section: str = SECTION, readme: Path = REPO / "README.md") -> list[str]:
    """Return the bodies of the fenced code blocks tagged `lang` in `readme`'s section, in order.

    The section runs from the line `section` (a heading) to the next `## ` heading.
    """
    text = readme.read_text()
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    return [m["body"] for m in _BLOCK.finditer(text[start : end if end >= 0 else None]) if m["lang"] == lang]


def snippet(containing: str) -> str:
    """Return the section's one `sh` block that contains `containing`."""
    (found,) = [block for block in section_blocks("sh") if containing in block]
    return found


def run_snippet(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a README shell snippet in `cwd` with this venv and the tools dir first on PATH, as a user would."""
    path = os.pathsep.join([str(Path(sys.executable).parent), str(PLUGIN.parent), str(BUF.parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "BUF_CACHE_DIR": str(cwd / ".buf-cache")}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False)
