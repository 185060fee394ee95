"""The suite's own helpers: `tree_diff` misses no byte, `require_shared` skips or fails as documented."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE_PROTO, SHARED, require_shared, tree_diff


def test_tree_diff_is_empty_only_for_equal_trees() -> None:
    tree = {"a.py": b"x = 1\n", "b/c.txt": b"hello\n"}

    assert tree_diff(tree, dict(tree)) == ""
    assert tree_diff(tree, {"a.py": b"x = 1\n"}) == "missing: b/c.txt"
    assert tree_diff({"a.py": b"x = 1\n"}, tree) == "unexpected: b/c.txt"
    assert "-x = 1\n+x = 2" in tree_diff(tree, {**tree, "a.py": b"x = 2\n"})


def test_tree_diff_names_a_dropped_final_newline() -> None:
    difference = tree_diff({"a.py": b"x = 1\n"}, {"a.py": b"x = 1"})

    assert difference == "final newline differs: a.py (expected '\\n', actual none)"


def test_tree_diff_names_crlf_line_endings() -> None:
    difference = tree_diff({"a.py": b"x = 1\ny = 2\n"}, {"a.py": b"x = 1\r\ny = 2\r\n"})

    assert difference == "line endings differ: a.py (expected LF, actual CRLF)"


def test_require_shared_skips_a_missing_shared_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    missing = SHARED / "protos" / "no-such-file.proto"

    with pytest.raises(pytest.skip.Exception, match=r"needs the \.\./shared corpus: .*no-such-file\.proto is missing"):
        require_shared(missing)


def test_require_shared_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_shared(SHARED / "protos" / "no-such-file.proto")


def test_require_shared_ignores_paths_outside_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    require_shared(EXAMPLE_PROTO, EXAMPLE_PROTO.parent / "not-shared.proto")
