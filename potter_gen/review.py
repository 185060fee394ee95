"""A fast static review of the user's files after a merge. Pure: texts in, findings out.

Two things the three-way merge cannot see, reported with file:line:
- conflict markers still in a file (git's rule: a marker line starts at column 0);
- scaffold code that reads a field its request message no longer has, as
  `request.member_id` after the proto renamed it (`StaleRead`). Message
  fields are read from the GENERATED message modules (class-level annotated
  names), so the review needs neither protoc nor the IR and runs on an
  unchanged project too. Uses `ast` (stdlib): ~1 ms a file.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from potter_gen.markers import marker_lines

# difflib's similarity ratio a suggested field needs: 0.4 still pairs `id` with `item_id` (0.44).
_SIMILAR = 0.4

# potter_runtime's message bases, and what every message has beyond its own fields: DomainEvent's class
# variables and pydantic's public methods that do not start with `model_` (its v1 names).
_MESSAGE_BASES = frozenset({"Message", "ValueObject", "DomainEvent"})
_INHERITED = frozenset(
    {"event_type", "event_version", "aggregate_type", "copy", "dict", "json", "construct", "schema", "schema_json", "validate"}
)

# The GENERATED modules that define the messages handlers receive (suffixes of project paths).
MESSAGE_MODULES = ("/application/messages.py", "/domain/models.py")


@dataclass(frozen=True)
class Markers:
    """Conflict markers left in a file: its path and the 1-based line of each marker."""

    path: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class StaleRead:
    """A read of a field a message does not have.

    Attributes:
        path: the user's file, relative to the project.
        line: 1-based line of the read.
        expression: what the code reads, as `request.member_id`.
        message: the message class the variable is annotated with.
        suggestion: the closest field name (difflib.get_close_matches, ratio ≥ 0.4), or "".
    """

    path: str
    line: int
    expression: str
    message: str
    suggestion: str

    def describe(self) -> str:
        """Return the one-line explanation, as `request.member_id: BorrowBookRequest has no field member_id ...`."""
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        field = self.expression.rsplit(".", 1)[-1]
        return f"{self.expression}: {self.message} has no field {field} (field removed or renamed{hint})"


def find_markers(files: Mapping[str, str]) -> list[Markers]:
    """Return the files of `files` (path → text) that hold conflict markers, sorted by path."""
    found = []
    for path, text in sorted(files.items()):
        if "<<<<<<<" in text or ">>>>>>>" in text:  # cheap test first
            lines = marker_lines(text)
            if lines:
                found.append(Markers(path, tuple(lines)))
    return found


def message_fields(modules: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Return message class name → its field names, from the text of the message modules.

    A field is a class-level annotated name (pydantic's rule); fields of a
    base class defined in the same modules are included. Only messages
    count: classes that derive, through those modules, from potter_runtime's
    `Message`, `ValueObject` or `DomainEvent` (not enums, not errors). A
    module that does not parse is skipped.
    """
    classes: dict[str, tuple[set[str], list[str]]] = {}
    for text in modules.values():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                own = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                classes[node.name] = (own, bases)

    def fields(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        own, bases = classes[name]
        inherited = (fields(b, seen | {name}) for b in bases if b in classes and b not in seen)
        return own.union(*inherited)

    def is_message(name: str, seen: frozenset[str] = frozenset()) -> bool:
        bases = classes[name][1]
        return any(b in _MESSAGE_BASES or (b in classes and b not in seen and is_message(b, seen | {name})) for b in bases)

    return {name: frozenset(fields(name)) for name in classes if is_message(name)}


class _Reads(ast.NodeVisitor):
    """Collects `param.attr` reads where `param` is annotated with a known message class."""

    def __init__(self, path: str, messages: Mapping[str, frozenset[str]]) -> None:
        self.path, self.messages = path, messages
        self.scopes: list[dict[str, str]] = []
        self.found: list[StaleRead] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        scope = {
            a.arg: a.annotation.id
            for a in arguments
            if isinstance(a.annotation, ast.Name) and a.annotation.id in self.messages
        }
        self.scopes.append(scope)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and self.scopes and isinstance(node.ctx, ast.Load):
            message = self.scopes[-1].get(node.value.id)
            attribute = node.attr
            known = attribute.startswith(("_", "model_")) or attribute in _INHERITED
            if message is not None and not known and attribute not in self.messages[message]:
                close = difflib.get_close_matches(attribute, sorted(self.messages[message]), n=1, cutoff=_SIMILAR)
                self.found.append(StaleRead(self.path, node.lineno, f"{node.value.id}.{attribute}", message, close[0] if close else ""))
        self.generic_visit(node)


def find_stale_reads(files: Mapping[str, str], messages: Mapping[str, frozenset[str]]) -> list[StaleRead]:
    """Return every read of a missing message field in `files` (path → Python text), sorted by path and line.

    Only variables annotated with a message class by name are followed
    (handler parameters such as `request: BorrowBookRequest`); attributes
    starting with `_` or `model_` belong to pydantic and are not fields.
    Files that do not parse are skipped (a merge conflict reports them).
    """
    found: list[StaleRead] = []
    for path, text in sorted(files.items()):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        reads = _Reads(path, messages)
        reads.visit(tree)
        found.extend(reads.found)
    return sorted(found, key=lambda r: (r.path, r.line))
