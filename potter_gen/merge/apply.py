"""Apply the three-way merge rules to one file (DESIGN.md, "The merge").

base = what potter-gen wrote last time, ours = the user's file, theirs = the
new rendering. Definitions are matched by qualified name (module-level
classes, functions, assignments and imports; methods and class attributes
inside classes). Per definition: unchanged by the user → theirs; unchanged
by the generator → ours; changed by both → merged part by part (decorators,
signature, docstring, body) when the parts differ; a body both changed is
merged line by line (`diff3.py`), and only the lines both changed
differently are a conflict, marked in git's diff3 style. User
additions always survive; a definition the generator dropped is removed
only if the user never touched it. The result is formatted with black so a
re-run is a no-op. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from potter_gen.format import format_user_source
from potter_gen.markers import BASE_MARKER, OURS_MARKER, SPLIT_MARKER, THEIRS_MARKER
from potter_gen.merge.collect import ImportName, code, import_names, imports, is_docstring, key_of, keyed, used_names
from potter_gen.merge.diff3 import Chunk, has_conflicts, merge_lines, merged_text, with_markers
from potter_gen.merge.result import Conflict, MergeResult, MergeStatus, trivial_merge

_PLACEHOLDER = "__potter_conflict_{}__"
_MARKERS = frozenset({OURS_MARKER, BASE_MARKER, SPLIT_MARKER, THEIRS_MARKER})


def _three_way(base: str | None, ours: str, theirs: str) -> str | None:
    """Return the merged value of one part, or None when both sides changed it differently."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return None


class _Merger:
    """Merges bodies recursively, collecting conflicts and kept definitions."""

    def __init__(self, ours: cst.Module) -> None:
        wrapper = MetadataWrapper(ours, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.conflicts: list[Conflict] = []
        self.blocks: list[str] = []  # the text of each placeholder, markers included
        self.kept: list[str] = []

    # -- conflicts -----------------------------------------------------------

    def _placeholder(self, block: str) -> cst.SimpleStatementLine:
        """Return a statement that `_with_markers` replaces by `block` (lines relative to its indentation)."""
        self.blocks.append(block)
        return cst.SimpleStatementLine([cst.Expr(cst.SimpleString(f'"{_PLACEHOLDER.format(len(self.blocks) - 1)}"'))])

    def _line(self, node: cst.CSTNode) -> int:
        position = self.positions.get(node)
        return position.start.line if position else 0

    def conflict(
        self, name: str, base: cst.BaseStatement | None, ours: cst.BaseStatement, theirs: cst.BaseStatement
    ) -> cst.BaseStatement:
        """Record a conflict over a whole definition; return its placeholder."""
        texts = [code(node).strip("\n") if node is not None else "" for node in (base, ours, theirs)]
        # The region starts at the user's comments above the definition (they are part of `ours`).
        leading = list(getattr(ours, "leading_lines", ()))
        while leading and leading[0].comment is None:
            leading.pop(0)
        self.conflicts.append(Conflict(name, self._line(ours) - len(leading), texts[1], texts[2], texts[0]))
        chunk = Chunk(conflict=True, base=_lines(texts[0]), ours=_lines(texts[1]), theirs=_lines(texts[2]))
        return self._placeholder(with_markers([chunk]))

    # -- one definition ------------------------------------------------------

    def merge_definition(
        self, name: str, base: cst.BaseStatement | None, ours: cst.BaseStatement, theirs: cst.BaseStatement
    ) -> cst.BaseStatement:
        # Comments and blank lines above a definition are the user's: compared apart from the code.
        ours_code, theirs_code = code(_bare(ours)), code(_bare(theirs))
        base_code = code(_bare(base)) if base is not None else None
        if ours_code == theirs_code or theirs_code == base_code:
            return _with_leading(ours, base, ours, theirs)
        if ours_code == base_code:
            return _with_leading(theirs, base, ours, theirs)
        if isinstance(ours, cst.ClassDef) and isinstance(theirs, cst.ClassDef):
            merged_class = self.merge_class(name, base if isinstance(base, cst.ClassDef) else None, ours, theirs)
            if merged_class is not None:
                return merged_class
        if isinstance(ours, cst.FunctionDef) and isinstance(theirs, cst.FunctionDef):
            merged_function = self.merge_function(name, base if isinstance(base, cst.FunctionDef) else None, ours, theirs)
            if merged_function is not None:
                return merged_function
        return self.conflict(name, base, ours, theirs)

    def _decorators(
        self, base: Sequence[cst.Decorator], ours: Sequence[cst.Decorator], theirs: Sequence[cst.Decorator]
    ) -> list[cst.Decorator]:
        base_codes = {code(d) for d in base}
        theirs_codes = {code(d) for d in theirs}
        ours_codes = {code(d) for d in ours}
        kept = [d for d in ours if code(d) in theirs_codes or code(d) not in base_codes]
        added = [d for d in theirs if code(d) not in base_codes and code(d) not in ours_codes]
        return [*kept, *added]

    @staticmethod
    def _split_body(node: cst.FunctionDef | cst.ClassDef) -> tuple[cst.BaseStatement | None, list[cst.BaseStatement]]:
        body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
        if body and is_docstring(body[0]):
            return body[0], body[1:]
        return None, body

    def merge_function(
        self, name: str, base: cst.FunctionDef | None, ours: cst.FunctionDef, theirs: cst.FunctionDef
    ) -> cst.FunctionDef | None:
        """Merge a function part by part; None when its signature or docstring conflicts.

        A body both sides changed is merged line by line (diff3); regions that
        still conflict become marked blocks inside the body.
        """
        if base is None or not isinstance(ours.body, cst.IndentedBlock) or not isinstance(theirs.body, cst.IndentedBlock):
            return None

        def signature(node: cst.FunctionDef) -> str:
            returns = code(node.returns.annotation) if node.returns else ""
            return f"{'async ' if node.asynchronous else ''}{code(node.params)}->{returns}"

        header = _three_way(signature(base), signature(ours), signature(theirs))
        base_doc, base_rest = self._split_body(base)
        ours_doc, ours_rest = self._split_body(ours)
        theirs_doc, theirs_rest = self._split_body(theirs)
        doc = _three_way(code(base_doc) if base_doc else "", code(ours_doc) if ours_doc else "", code(theirs_doc) if theirs_doc else "")
        rest = _three_way(
            "".join(map(code, base_rest)), "".join(map(code, ours_rest)), "".join(map(code, theirs_rest))
        )
        if header is None or doc is None:
            return None
        skeleton = theirs if header == signature(theirs) and header != signature(ours) else ours
        doc_node = ours_doc if doc == (code(ours_doc) if ours_doc else "") else theirs_doc
        if rest is None:
            merged_rest = self.merge_statements(name, base_rest, ours_rest, theirs_rest)
            if merged_rest is None:
                return None
            rest_nodes = merged_rest
        else:
            rest_nodes = ours_rest if rest == "".join(map(code, ours_rest)) else theirs_rest
        body = [doc_node, *rest_nodes] if doc_node is not None else list(rest_nodes)
        return skeleton.with_changes(
            decorators=self._decorators(base.decorators, ours.decorators, theirs.decorators),
            body=ours.body.with_changes(body=body),
            leading_lines=_leading(base, ours, theirs),
        )

    def merge_statements(
        self,
        name: str,
        base: list[cst.BaseStatement],
        ours: list[cst.BaseStatement],
        theirs: list[cst.BaseStatement],
    ) -> list[cst.BaseStatement] | None:
        """Merge the statements of a body both sides changed, line by line (diff3).

        Returns the merged statements (a marked block where regions still
        conflict), or None when the clean line merge is not valid Python.
        """
        chunks = merge_lines(*(_lines("".join(map(code, side))) for side in (base, ours, theirs)))
        if not has_conflicts(chunks):
            try:
                return list(cst.parse_module(merged_text(chunks)).body) or [cst.SimpleStatementLine([cst.Pass()])]
            except cst.ParserSyntaxError:
                return None
        first = self._line(ours[0]) - len(getattr(ours[0], "leading_lines", ())) if ours else 0
        for chunk in chunks:
            if chunk.conflict:
                line = first + chunk.at if first > 0 else 0
                self.conflicts.append(Conflict(name, line, "".join(chunk.ours).rstrip("\n"), "".join(chunk.theirs).rstrip("\n"), "".join(chunk.base).rstrip("\n")))
        return [self._placeholder(with_markers(chunks))]

    def merge_class(
        self, name: str, base: cst.ClassDef | None, ours: cst.ClassDef, theirs: cst.ClassDef
    ) -> cst.ClassDef | None:
        """Merge a class: decorators, bases, then its body member by member."""
        if not isinstance(ours.body, cst.IndentedBlock) or not isinstance(theirs.body, cst.IndentedBlock):
            return None

        def header(node: cst.ClassDef) -> str:
            return ",".join(code(a) for a in (*node.bases, *node.keywords))

        base_header = header(base) if base is not None else None
        merged_header = _three_way(base_header, header(ours), header(theirs))
        if merged_header is None:
            return None
        skeleton = theirs if merged_header == header(theirs) and merged_header != header(ours) else ours
        base_body = list(base.body.body) if base is not None and isinstance(base.body, cst.IndentedBlock) else []
        body = self.merge_body(base_body, list(ours.body.body), list(theirs.body.body), name)
        return skeleton.with_changes(
            decorators=self._decorators(base.decorators if base else (), ours.decorators, theirs.decorators),
            body=ours.body.with_changes(body=body or [cst.SimpleStatementLine([cst.Pass()])]),
            leading_lines=_leading(base, ours, theirs),
        )

    # -- a whole body ----------------------------------------------------------

    def merge_body(
        self,
        base: list[cst.BaseStatement],
        ours: list[cst.BaseStatement],
        theirs: list[cst.BaseStatement],
        scope: str,
    ) -> list[cst.BaseStatement]:
        """Merge one module or class body; keep the user's order, place new definitions after their predecessor."""
        base_keyed, ours_keyed, theirs_keyed = keyed(base), keyed(ours), keyed(theirs)
        result: list[tuple[str, cst.BaseStatement]] = []
        seen: set[str] = set()
        for index, statement in enumerate(ours):
            key = key_of(statement, index)
            if key == "import":
                result.append((key, statement))
                continue
            if key in seen:  # a repeated statement of the user's: keep as is
                result.append((key, statement))
                continue
            seen.add(key)
            qualified = f"{scope}.{key.split(' ', 1)[-1]}" if scope else key.split(" ", 1)[-1]
            theirs_statement = theirs_keyed.get(key)
            base_statement = base_keyed.get(key)
            if theirs_statement is None:
                if base_statement is not None and _untouched(base_statement, statement):
                    continue  # the generator dropped it and the user never touched it
                if base_statement is not None:
                    self.kept.append(qualified)
                result.append((key, statement))
                continue
            result.append((key, self.merge_definition(qualified, base_statement, statement, theirs_statement)))

        theirs_order = list(theirs_keyed)
        for position, key in enumerate(theirs_order):
            if key in ours_keyed or key in base_keyed:
                continue  # present, or deleted by the user on purpose
            after = next((k for k in reversed(theirs_order[:position]) if any(r == k for r, _ in result)), None)
            insert_at = self._insertion_point(result, after)
            result.insert(insert_at, (key, theirs_keyed[key]))

        merged = [statement for _, statement in result]
        return self.merge_imports(imports(base), merged, imports(theirs), theirs)

    @staticmethod
    def _insertion_point(result: list[tuple[str, cst.BaseStatement]], after: str | None) -> int:
        if after is not None:
            for index, (key, _) in enumerate(result):
                if key == after:
                    return index + 1
        leading = [i for i, (k, _) in enumerate(result) if k in ("import", "docstring")]
        return leading[-1] + 1 if leading else 0

    def merge_imports(
        self,
        base: list[ImportName],
        merged: list[cst.BaseStatement],
        theirs: list[ImportName],
        theirs_body: list[cst.BaseStatement],
    ) -> list[cst.BaseStatement]:
        """Drop imports the generator dropped (unless still used) and add the ones it added."""
        ours = [n for i, s in enumerate(merged) if key_of(s, i) == "import" for n in import_names(s)]
        used = used_names([s for i, s in enumerate(merged) if key_of(s, i) != "import"])
        dropped = {n for n in set(base) - set(theirs) if n.bound not in used}
        added = [n for n in theirs if n not in set(base) and n not in set(ours)]
        out: list[cst.BaseStatement] = []
        for index, statement in enumerate(merged):
            if key_of(statement, index) != "import":
                out.append(statement)
                continue
            names = import_names(statement)
            if not any(n in dropped for n in names):
                out.append(statement)
                continue
            if any(n not in dropped for n in names):
                out.append(_only(statement, lambda n: n not in dropped))
        if not added:
            return out
        new_statements = [
            s
            for i, s in enumerate(theirs_body)
            if key_of(s, i) == "import" and any(n in added for n in import_names(s))
        ]
        leading = [i for i, s in enumerate(out) if key_of(s, i) in ("import", "docstring")]
        insert_at = leading[-1] + 1 if leading else 0
        additions = []
        for statement in new_statements:
            small = statement.body[0]  # type: ignore[attr-defined]
            names = import_names(statement)
            if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                additions.append(statement)
                continue
            target = next(
                (
                    i
                    for i, s in enumerate(out)
                    if key_of(s, i) == "import"
                    and isinstance(s.body[0], cst.ImportFrom)  # type: ignore[attr-defined]
                    and not isinstance(s.body[0].names, cst.ImportStar)  # type: ignore[attr-defined]
                    and import_names(s)[0].module == names[0].module
                ),
                None,
            )
            if target is not None:  # extend the user's `from module import ...`
                existing = out[target].body[0]  # type: ignore[attr-defined]
                new_aliases = [a for a, n in zip(small.names, names, strict=True) if n in added]
                out[target] = _with_aliases(out[target], [*existing.names, *new_aliases])
                continue
            additions.append(_only(statement, lambda n: n in added))
        return [*out[:insert_at], *additions, *out[insert_at:]]


def _bare(statement: cst.BaseStatement) -> cst.BaseStatement:
    """Return `statement` without the comments and blank lines above it."""
    return statement.with_changes(leading_lines=()) if hasattr(statement, "leading_lines") else statement


def _comments(statement: cst.BaseStatement) -> tuple[str, ...]:
    """Return the comments above `statement` (blank lines do not count)."""
    lines = getattr(statement, "leading_lines", ())
    return tuple(line.comment.value for line in lines if line.comment is not None)


def _leading(base: cst.BaseStatement | None, ours: cst.BaseStatement, theirs: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """Return the lines above a merged definition: the user's, unless only the generator changed their comments."""
    generator_changed = base is not None and _comments(theirs) != _comments(base)
    if generator_changed and base is not None and _comments(ours) == _comments(base) and hasattr(theirs, "leading_lines"):
        return theirs.leading_lines
    return getattr(ours, "leading_lines", ())


def _with_leading(
    chosen: cst.BaseStatement, base: cst.BaseStatement | None, ours: cst.BaseStatement, theirs: cst.BaseStatement
) -> cst.BaseStatement:
    """Return `chosen` with the merged lines above it."""
    if not hasattr(chosen, "leading_lines"):
        return chosen
    return chosen.with_changes(leading_lines=_leading(base, ours, theirs))


def _untouched(base: cst.BaseStatement, ours: cst.BaseStatement) -> bool:
    """Tell whether the user left a definition as generated (blank lines around it aside)."""
    return code(_bare(base)) == code(_bare(ours)) and _comments(base) == _comments(ours)


def _with_aliases(statement: cst.BaseStatement, aliases: Sequence[cst.ImportAlias]) -> cst.BaseStatement:
    """Return the import `statement` importing exactly `aliases`, on one line (black rewraps it)."""
    small = statement.body[0]  # type: ignore[attr-defined]
    commas = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in aliases]
    commas[-1] = commas[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if isinstance(small, cst.ImportFrom):
        return statement.with_changes(body=[small.with_changes(names=commas, lpar=None, rpar=None)])
    return statement.with_changes(body=[small.with_changes(names=commas)])


def _only(statement: cst.BaseStatement, keep: Callable[[ImportName], bool]) -> cst.BaseStatement:
    """Return the import `statement` with only the names `keep` accepts (`*` imports as they are)."""
    small = statement.body[0]  # type: ignore[attr-defined]
    if isinstance(small.names, cst.ImportStar):
        return statement
    names = import_names(statement)
    return _with_aliases(statement, [a for a, n in zip(small.names, names, strict=True) if keep(n)])


def _lines(text: str) -> tuple[str, ...]:
    """Return the lines of `text`, each with its line end."""
    return tuple(line if line.endswith("\n") else line + "\n" for line in text.splitlines())


def _with_markers(text: str, merger: _Merger) -> str:
    """Replace each placeholder statement of `text` by its marked block, indented like the placeholder."""
    lines = text.splitlines(keepends=True)
    for index, block in enumerate(merger.blocks):
        placeholder = _PLACEHOLDER.format(index)
        for number, line in enumerate(lines):
            if placeholder in line:
                indent = line[: len(line) - len(line.lstrip())]
                lines[number] = "".join(
                    b if marker or not b.strip() else indent + b
                    for b, marker in ((b, b.rstrip("\n") in _MARKERS) for b in block.splitlines(keepends=True))
                )
                break
    return "".join(lines)


def _text_merge(path: str, base: str | None, ours: str, theirs: str) -> MergeResult:
    """Merge a file as lines (a file that is not Python, or does not parse); conflicts name their line."""
    chunks = merge_lines(_lines(base or ""), _lines(ours), _lines(theirs))
    if not has_conflicts(chunks):
        text = merged_text(chunks)
        return MergeResult(MergeStatus.UNCHANGED if text == ours else MergeStatus.MERGED, text)
    conflicts = tuple(
        Conflict(f"{path} (lines)", chunk.at + 1, "".join(chunk.ours).rstrip("\n"), "".join(chunk.theirs).rstrip("\n"), "".join(chunk.base).rstrip("\n"))
        for chunk in chunks
        if chunk.conflict
    )
    return MergeResult(MergeStatus.CONFLICTED, with_markers(chunks), conflicts)


def merge_file(path: str, base: str | None, ours: str, theirs: str) -> MergeResult:
    """Merge the new rendering `theirs` into the user's file `ours`.

    Args:
        path: the file's path relative to the project (its suffix decides
            whether it is merged as Python or as a whole).
        base: what potter-gen wrote last time, or None when unknown.
        ours: the user's file as it is on disk.
        theirs: the new rendering.

    Returns:
        UNCHANGED when `ours` stays as it is, MERGED with the new text, or
        CONFLICTED with every conflict and the text with git-style markers.
        Files other than Python, and Python files that do not parse, are
        merged line by line (diff3): each region both sides changed
        differently is one conflict.
    """
    trivial = trivial_merge(base, ours, theirs)
    if trivial is not None:
        return trivial
    if not path.endswith(".py"):
        return _text_merge(path, base, ours, theirs)
    try:
        ours_module = cst.parse_module(ours)
        theirs_module = cst.parse_module(theirs)
        base_module = cst.parse_module(base or "")
    except cst.ParserSyntaxError:
        return _text_merge(path, base, ours, theirs)
    merger = _Merger(ours_module)
    body = merger.merge_body(list(base_module.body), list(ours_module.body), list(theirs_module.body), "")
    text = ours_module.with_changes(body=body).code
    if merger.conflicts:
        return MergeResult(MergeStatus.CONFLICTED, _with_markers(text, merger), tuple(merger.conflicts), tuple(merger.kept))
    text = format_user_source(path, text)
    status = MergeStatus.UNCHANGED if text == ours else MergeStatus.MERGED
    return MergeResult(status, text, (), tuple(merger.kept))
