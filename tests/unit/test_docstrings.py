"""Proto comments become Python docstrings that read back exactly as written (STYLE.md §4)."""

from __future__ import annotations

import ast
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from potter_gen.render import comment_text, docstring


@pytest.mark.parametrize(
    "comment",
    [
        'a "quote"',
        'three """ quotes',
        'ends with """',
        "ends with a backslash \\",
        'backslash then quote \\"',
        "{{ jinja }} {% raw %} ünïcode ✓",
        " Leading space, as protoc keeps it.\n Second line.",
    ],
)
def test_docstring_reads_back_as_the_comment(comment: str) -> None:
    assert ast.literal_eval(docstring(comment)).strip() == comment_text(comment)


@settings(max_examples=300)
@given(st.text(alphabet='\\"\'ab {}\nü', max_size=30))
def test_any_comment_gives_a_valid_docstring(comment: str) -> None:
    text = docstring(comment, fallback="Fallback.")
    assert ast.literal_eval(text).strip() == textwrap.dedent(comment or "Fallback.").strip()
