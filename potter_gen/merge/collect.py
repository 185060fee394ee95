"""Split a module or class body into keyed definitions for the merge.

A key names what a statement defines: `class Name`, `def name`, `= name`
(an assignment), `docstring`, `import` (import statements are merged by
imported name, not as statements), or `stmt <code>` for anything else. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

_EMPTY = cst.parse_module("")


def code(node: cst.CSTNode) -> str:
    """Return the source text of `node` (with its leading comments)."""
    return _EMPTY.code_for_node(node)


def is_docstring(statement: cst.BaseStatement) -> bool:
    """Tell whether `statement` is a bare string expression (a docstring)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def key_of(statement: cst.BaseStatement, index: int) -> str:
    """Return the merge key of one statement of a body (`index` is its position)."""
    if isinstance(statement, cst.ClassDef):
        return f"class {statement.name.value}"
    if isinstance(statement, cst.FunctionDef):
        return f"def {statement.name.value}"
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if index == 0 and is_docstring(statement):
            return "docstring"
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return "import"
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            return f"= {small.targets[0].target.value}"
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            return f"= {small.target.value}"
    return "stmt " + code(statement).strip()


@dataclass(frozen=True)
class ImportName:
    """One imported name: `from module import name as alias` (module "" for `import name`)."""

    module: str
    name: str
    alias: str

    @property
    def bound(self) -> str:
        """Return the name the import binds in the module."""
        return self.alias or self.name.split(".")[0]


def import_names(statement: cst.BaseStatement) -> list[ImportName]:
    """Return the names an import statement imports (`*` included as a name)."""
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    names: list[ImportName] = []
    if isinstance(small, cst.Import):
        for alias in small.names:
            asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
            names.append(ImportName("", code(alias.name), asname))
    elif isinstance(small, cst.ImportFrom):
        module = "." * len(small.relative) + (code(small.module) if small.module else "")
        if isinstance(small.names, cst.ImportStar):
            return [ImportName(module, "*", "")]
        for alias in small.names:
            asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else ""
            names.append(ImportName(module, code(alias.name), asname))
    return names


def keyed(body: Sequence[cst.BaseStatement]) -> dict[str, cst.BaseStatement]:
    """Return the keyed, non-import statements of a body, in order (later duplicates win)."""
    return {k: s for i, s in enumerate(body) if (k := key_of(s, i)) != "import"}


def imports(body: Sequence[cst.BaseStatement]) -> list[ImportName]:
    """Return every name imported at the top level of a body, in order."""
    return [name for i, s in enumerate(body) if key_of(s, i) == "import" for name in import_names(s)]


def edited_definitions(base: str | None, ours: str) -> tuple[str, ...]:
    """Return the qualified names of the definitions the user changed or added in `ours` since `base`.

    Module-level definitions and the members of module-level classes are
    compared by their code (imports aside). When either text does not
    parse, or no definition changed (only imports, comments between
    definitions), the answer is `("its text",)`.
    """
    try:
        base_body = cst.parse_module(base or "").body
        ours_body = cst.parse_module(ours).body
    except cst.ParserSyntaxError:
        return ("its text",)
    base_keyed, names = keyed(base_body), []
    for key, statement in keyed(ours_body).items():
        name = key.split(" ", 1)[-1] if not key.startswith("stmt ") else "a statement"
        before = base_keyed.get(key)
        if before is not None and code(before) == code(statement):
            continue
        if isinstance(statement, cst.ClassDef) and isinstance(before, cst.ClassDef):
            base_members = keyed(before.body.body) if isinstance(before.body, cst.IndentedBlock) else {}
            ours_members = keyed(statement.body.body) if isinstance(statement.body, cst.IndentedBlock) else {}
            members = [
                f"{name}.{k.split(' ', 1)[-1]}"
                for k, member in ours_members.items()
                if k not in base_members or code(base_members[k]) != code(member)
            ]
            names.extend(members or [name])
            continue
        names.append(name)
    return tuple(names) or ("its text",)


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def used_names(statements: list[cst.BaseStatement]) -> set[str]:
    """Return every name `statements` mention (a superset of the names they use)."""
    collector = _NameCollector()
    for statement in statements:
        statement.visit(collector)
    return collector.names
