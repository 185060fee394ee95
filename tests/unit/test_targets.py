"""The targets table and the templates directory agree one to one."""

from __future__ import annotations

from potter_gen import resources
from potter_gen.targets import TARGETS


def test_every_template_is_in_the_table_once_and_every_row_has_a_template() -> None:
    """A template no row renders, or a row without a template, is a mistake."""
    root = resources.templates_dir()
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.j2") if p.parent.name != "_macros")
    in_table = [t.template for targets in TARGETS.values() for t in targets]
    assert len(in_table) == len(set(in_table))
    assert sorted(in_table) == on_disk
