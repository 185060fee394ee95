"""Carry the user's handler to the place a moved RPC's scaffold now lives. Pure.

An RPC that moves (query ↔ command, a renamed handler module, another
service) gets its scaffold rendered at a new path, often with a stub body
(`raise NotImplementedRpcError(...)`) where the old rendering had a default
one. The stub means "your implementation goes here", not a change to merge:
so the stub bodies of the new rendering are replaced by the old rendering's
bodies of the same definitions, and the usual three-way merge (base = the old
rendering, ours = the user's file, theirs = the new rendering) runs on that.
"""

from __future__ import annotations

import ast

import libcst as cst

from potter_gen.merge.apply import merge_file
from potter_gen.merge.collect import ImportName, import_names, is_docstring, key_of, used_names
from potter_gen.merge.result import MergeResult

_STUB_ERROR = "NotImplementedRpcError"


def defined_classes(text: str | None) -> frozenset[str]:
    """Return the names of the module-level classes of Python `text` (empty when it does not parse)."""
    try:
        tree = ast.parse(text or "")
    except SyntaxError:
        return frozenset()
    return frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef))


def _is_stub(function: cst.FunctionDef) -> bool:
    """Tell whether a function's body (docstring aside) is only `raise NotImplementedRpcError(...)`."""
    if not isinstance(function.body, cst.IndentedBlock):
        return False
    body = [s for s in function.body.body if not is_docstring(s)]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or not isinstance(body[0].body[0], cst.Raise):
        return False
    raised = body[0].body[0].exc
    return isinstance(raised, cst.Call) and isinstance(raised.func, cst.Name) and raised.func.value == _STUB_ERROR


def _functions(statements: list[cst.BaseStatement], scope: str = "") -> dict[str, cst.FunctionDef]:
    """Return qualified name → function for the functions and methods of a module body."""
    found: dict[str, cst.FunctionDef] = {}
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            found[f"{scope}{statement.name.value}"] = statement
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock) and not scope:
            found.update(_functions(list(statement.body.body), f"{statement.name.value}."))
    return found


class _Unstub(cst.CSTTransformer):
    """Give each stub function the body its old rendering had."""

    def __init__(self, old: dict[str, cst.FunctionDef]) -> None:
        self.old, self.scope = old, ""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope = f"{node.name.value}."

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.scope = ""
        return updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        old = self.old.get(f"{self.scope}{updated_node.name.value}")
        if old is None or not _is_stub(updated_node) or _is_stub(old) or not isinstance(old.body, cst.IndentedBlock):
            return updated_node
        assert isinstance(updated_node.body, cst.IndentedBlock)
        docstring = [s for s in updated_node.body.body[:1] if is_docstring(s)]
        rest = [s for s in old.body.body if not is_docstring(s)]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=[*docstring, *rest]))


def _without_unused_imports(module: cst.Module, candidates: set[str]) -> cst.Module:
    """Drop the import statements of `candidates` names that `module` no longer uses."""
    used = used_names([s for i, s in enumerate(module.body) if key_of(s, i) != "import"])
    unused = candidates - used

    def keep(statement: cst.BaseStatement, index: int) -> bool:
        if key_of(statement, index) != "import":
            return True
        names: list[ImportName] = import_names(statement)
        return not all(n.bound in unused for n in names)

    return module.with_changes(body=[s for i, s in enumerate(module.body) if keep(s, i)])


def merge_moved(path: str, old_base: str, ours: str, theirs: str) -> MergeResult:
    """Merge the user's file of a moved RPC into its new rendering.

    Args:
        path: the new path, relative to the project.
        old_base: what potter-gen last rendered at the old path.
        ours: the user's file at the old path.
        theirs: the new rendering at `path`.

    Returns:
        The merge (`merge_file`) of `ours` into `theirs` with its stub
        bodies replaced by `old_base`'s bodies: UNCHANGED or MERGED text to
        write at `path`, or CONFLICTED.
    """
    try:
        old_module, new_module = cst.parse_module(old_base), cst.parse_module(theirs)
    except cst.ParserSyntaxError:
        return merge_file(path, old_base, ours, theirs)
    unstubbed = new_module.visit(_Unstub(_functions(list(old_module.body))))
    adjusted = _without_unused_imports(unstubbed, {_STUB_ERROR}).code
    return merge_file(path, old_base, ours, adjusted)


def not_implemented_test(handler_path: str, handler_text: str) -> str | None:
    """Return the name of the generated "answers 501" test a carried handler makes wrong, or None.

    The tests scaffold has `test_<rpc>_is_not_implemented_yet` for each stub
    handler; once the user's implementation is carried to the new place that
    test would fail, so the merge leaves it out (as if the user had deleted it).
    """
    if _STUB_ERROR in handler_text:
        return None
    return f"test_{handler_path.rsplit('/', 1)[-1].removesuffix('.py')}_is_not_implemented_yet"


def without_functions(text: str, names: set[str]) -> str:
    """Return Python `text` without its module-level functions named in `names` (as is when it does not parse)."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return text
    body = [s for s in module.body if not (isinstance(s, cst.FunctionDef) and s.name.value in names)]
    return module.with_changes(body=body).code
