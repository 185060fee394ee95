"""format.py: ruff for rendered files, black for merged ones, both in black's fixed style."""

from __future__ import annotations

import tempfile

import pytest

from potter_gen.errors import ExitCode, OutputError
from potter_gen.format import FormatError, format_sources, format_user_source
from tests.black_style import is_black_stable

UGLY = "def f( a,b ):\n  return {'a':a,'b':b}\n"
PRETTY = 'def f(a, b):\n    return {"a": a, "b": b}\n'


def test_formats_every_python_file_in_one_batch_and_passes_others_through() -> None:
    files = {"b.py": UGLY, "README.md": "  keep   me\n", "src/pkg/a.py": "x  =  1\n"}
    formatted = format_sources(files)
    assert list(formatted) == list(files)
    assert formatted == {"b.py": PRETTY, "README.md": "  keep   me\n", "src/pkg/a.py": "x = 1\n"}


def test_directories_ruff_excludes_by_default_are_formatted_too() -> None:
    files = {f"src/{name}/m.py": UGLY for name in ("build", "dist", ".venv", "node_modules", "site-packages")}
    assert set(format_sources(files).values()) == {PRETTY}


def test_magic_trailing_comma_is_off_and_long_lines_wrap_at_88() -> None:
    text = "x = [\n    1,\n    2,\n]\ny = call(" + ", ".join(f"argument_{i}" for i in range(12)) + ")\n"
    formatted = format_sources({"m.py": text})["m.py"]
    assert formatted.startswith("x = [1, 2]\n")
    assert max(len(line) for line in formatted.splitlines()) <= 88
    assert is_black_stable(formatted)


def test_a_file_that_does_not_parse_names_the_file_line_and_column() -> None:
    with pytest.raises(FormatError) as caught:
        format_sources({"ok.py": "x = 1\n", "src/pkg/broken.py": "def f(:\n    pass\n"})
    assert "src/pkg/broken.py:1:7" in str(caught.value)
    assert "please report" in str(caught.value)


def test_an_unwritable_temporary_directory_is_an_output_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", "/nonexistent/potter-tmp")  # a TMPDIR the user set wins over /dev/shm
    monkeypatch.setattr(tempfile, "tempdir", "/nonexistent/potter-tmp")
    with pytest.raises(OutputError) as caught:
        format_sources({"a.py": "x = 1\n"})
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    assert "/nonexistent/potter-tmp" in str(caught.value) and "TMPDIR" in str(caught.value)


def test_merged_files_get_black_where_ruff_differs_from_black_26() -> None:
    # black 26's "always one blank line after imports": ruff 0.17 keeps two.
    text = "import os\n\n\nX = os.sep\n"
    assert format_sources({"m.py": text})["m.py"] == text
    assert format_user_source("m.py", text) == "import os\n\nX = os.sep\n"
    assert format_user_source("notes.txt", text) == text
    with pytest.raises(FormatError, match="m.py"):
        format_user_source("m.py", "def f(:\n")
