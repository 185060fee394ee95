"""Hypothesis properties of the three-way merge over generated edit scripts.

A small handler module is described by a model (`Module`: classes with
methods, module-level functions; the generator's imports are derived from
what the code uses, as the templates do). Random user edit scripts (add a
method, helper, import, decorator, comment, docstring or class attribute;
change a body) and random generator edit scripts (change a signature, add or
remove a function, add an import, change a body, change a class's base) are
applied to copies of the model; each side is rendered and formatted with
black, and `merge_file(base, ours, theirs)` must:

- take theirs when ours is untouched, and keep ours when theirs is unchanged;
- keep every user addition, conflicting only on definitions both sides changed
  in the same part (and always on those);
- apply every generator change outside conflicts: new signatures and
  definitions, removals of definitions the user never touched (edited ones are
  kept and reported);
- produce text that parses, is black-clean and imports what it uses;
- be idempotent: merging again (with the new or the old base) changes nothing;
- and, through the CLI, write nothing at all when it conflicts.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

import black
import libcst as cst
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from potter_gen import render as render_module
from potter_gen.format import format_user_source
from potter_gen.merge import MergeResult, MergeStatus, merge_file
from potter_gen.render import OutputFile
from potter_gen.targets import FileKind, Layer
from tests.black_style import BLACK_MODE
from tests.scenarios.workspace import GET, Workspace

PATH = "src/shop/application/handlers.py"

# Each example costs a few milliseconds: enough of them that every pair of
# edits meets in most runs; the @examples below hit each rule of DESIGN.md
# ("The merge") on every run, derandomized in CI or not.
SETTINGS = settings(
    deadline=None,
    max_examples=100,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)

# -- the model -----------------------------------------------------------------------


@dataclass
class Func:
    """A function or method: every part the merge distinguishes."""

    name: str
    params: list[str]
    returns: str
    body: list[str]
    is_async: bool = False
    decorators: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # comment lines just above the definition
    docstring: str | None = None

    def render(self, indent: str) -> list[str]:
        lines = [f"{indent}{c}" for c in self.comments]
        lines += [f"{indent}{d}" for d in self.decorators]
        prefix = "async def" if self.is_async else "def"
        lines.append(f"{indent}{prefix} {self.name}({', '.join(self.params)}) -> {self.returns}:")
        if self.docstring:
            lines.append(f'{indent}    """{self.docstring}"""')
        lines += [f"{indent}    {b}" for b in self.body]
        return lines


@dataclass
class Klass:
    """A class with a docstring, class attributes and methods."""

    name: str
    base: str
    docstring: str
    methods: list[Func]
    attrs: list[str] = field(default_factory=list)
    decorators: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def render(self) -> list[str]:
        lines = list(self.comments)
        lines += self.decorators
        lines.append(f"class {self.name}({self.base}):")
        lines.append(f'    """{self.docstring}"""')
        lines += [f"    {a}" for a in self.attrs]
        for method in self.methods:
            lines.append("")
            lines += method.render("    ")
        return lines


@dataclass
class Const:
    """A module-level assignment."""

    name: str
    value: str
    comments: list[str] = field(default_factory=list)

    def render(self) -> list[str]:
        return [*self.comments, f"{self.name} = {self.value}"]


_MESSAGE = re.compile(r"\b[A-Z]\w*(?:Request|Response)\w*\b")


@dataclass
class Module:
    """A handler module; the generator's imports follow from what the code uses."""

    items: list[Klass | Func | Const]
    user_imports: list[str] = field(default_factory=list)
    user_messages: list[str] = field(default_factory=list)  # names the user added to the messages import
    extra_imports: list[str] = field(default_factory=list)  # imports the generator adds

    def find(self, qualified: str) -> Klass | Func | Const | None:
        head, _, tail = qualified.partition(".")
        item = next((i for i in self.items if i.name == head), None)
        if not tail or item is None:
            return item
        assert isinstance(item, Klass)
        return next((m for m in item.methods if m.name == tail), None)

    def remove(self, qualified: str) -> None:
        head, _, tail = qualified.partition(".")
        if not tail:
            self.items = [i for i in self.items if i.name != head]
            return
        klass = self.find(head)
        assert isinstance(klass, Klass)
        klass.methods = [m for m in klass.methods if m.name != tail]

    def functions(self) -> Iterator[tuple[str, Func]]:
        for item in self.items:
            if isinstance(item, Func):
                yield item.name, item
            elif isinstance(item, Klass):
                for method in item.methods:
                    yield f"{item.name}.{method.name}", method

    def render(self) -> str:
        signatures = " ".join(f"{' '.join(f.params)} {f.returns}" for _, f in self.functions())
        messages = sorted(set(_MESSAGE.findall(signatures))) + self.user_messages
        bases = sorted({i.base for i in self.items if isinstance(i, Klass)})
        lines = ['"""Handlers of the shop: yours to edit."""', "", "from __future__ import annotations", ""]
        lines += self.user_imports
        lines += self.extra_imports
        if bases:
            lines.append(f"from shop.application.bases import {', '.join(bases)}")
        if messages:
            lines.append(f"from shop.application.messages import {', '.join(messages)}")
        for item in self.items:
            lines += ["", ""]
            lines += item.render("") if isinstance(item, Func) else item.render()
        return format_user_source(PATH, "\n".join(lines) + "\n")


def base_module() -> Module:
    return Module(
        [
            Const("PAGE_SIZE", "20"),
            Klass(
                "CreateItemHandler",
                "HandlerBase",
                "Create an item.",
                [
                    Func("handle", ["self", "request: CreateItemRequest"], "CreateItemResponse", ['return CreateItemResponse(item_id="new")'], is_async=True),
                    Func("describe", ["self"], "str", ['return "create item"']),
                ],
            ),
            Klass(
                "GetItemHandler",
                "HandlerBase",
                "Get an item.",
                [Func("handle", ["self", "request: GetItemRequest"], "GetItemResponse", ["return GetItemResponse(id=request.id)"], is_async=True)],
            ),
            Func("create_route", [], "str", ['return "/items"']),
            Func("get_route", ["item_id: str"], "str", ['return f"/items/{item_id}"']),
            Func("list_route", [], "str", ['return "/items/list"']),
        ]
    )


CLASSES = ["CreateItemHandler", "GetItemHandler"]
FUNCTIONS = ["CreateItemHandler.handle", "CreateItemHandler.describe", "GetItemHandler.handle", "create_route", "get_route", "list_route"]
REMOVABLE = [*FUNCTIONS, "GetItemHandler", "PAGE_SIZE"]

# -- edit scripts ----------------------------------------------------------------------

USER_OPS = st.one_of(
    st.tuples(st.just("add_method"), st.sampled_from(CLASSES)),
    st.tuples(st.just("add_attribute"), st.sampled_from(CLASSES)),
    st.tuples(st.just("add_helper"), st.integers(0, 5)),
    st.tuples(st.just("add_import"), st.none()),
    st.tuples(st.just("extend_import"), st.none()),
    st.tuples(st.just("add_constant"), st.integers(0, 6)),
    st.tuples(st.just("change_constant"), st.just("PAGE_SIZE")),
    st.tuples(st.just("add_decorator"), st.sampled_from([*FUNCTIONS, *CLASSES])),
    st.tuples(st.just("add_comment"), st.sampled_from([*FUNCTIONS, *CLASSES, "PAGE_SIZE"])),
    st.tuples(st.just("add_body_comment"), st.sampled_from(FUNCTIONS)),
    st.tuples(st.just("add_docstring"), st.sampled_from(FUNCTIONS)),
    st.tuples(st.just("change_body"), st.sampled_from(FUNCTIONS)),
)
GENERATOR_CHANGES = st.one_of(
    st.tuples(st.just("change_signature"), st.sampled_from(FUNCTIONS)),
    st.tuples(st.just("add_function"), st.integers(0, 5)),
    st.tuples(st.just("add_method"), st.sampled_from(CLASSES)),
    st.tuples(st.just("add_import"), st.none()),
    st.tuples(st.just("change_body"), st.sampled_from(FUNCTIONS)),
    st.tuples(st.just("change_base"), st.sampled_from(CLASSES)),
    st.tuples(st.just("change_constant"), st.just("PAGE_SIZE")),
)
GENERATOR_OPS = st.one_of(GENERATOR_CHANGES, st.tuples(st.just("remove"), st.sampled_from(REMOVABLE)))

Op = tuple[str, object]


@dataclass
class UserEdits:
    """The user's model and what the edits did: token → definition holding it, definitions touched."""

    model: Module
    tokens: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    body_changed: set[str] = field(default_factory=set)  # the statements of the body itself changed


def apply_user(ops: list[Op]) -> UserEdits:
    edits = UserEdits(base_module())
    model = edits.model
    for k, (op, target) in enumerate(ops):
        token = f"user_{op}_{k}"

        def touch(qualified: str, token: str = token) -> None:
            edits.tokens[token] = qualified
            edits.touched.add(qualified)
            edits.touched.add(qualified.split(".")[0])

        if op == "add_import":
            model.user_imports.append(f"import {token}")
            edits.tokens[token] = ""
        elif op == "extend_import":
            model.user_messages.append(f"UserName{k}")
            edits.tokens[f"UserName{k}"] = ""
        elif op == "add_constant":
            assert isinstance(target, int)
            model.items.insert(min(target, len(model.items)), Const(token.upper(), str(k)))
            edits.tokens[token.upper()] = token.upper()
        elif op == "change_constant":
            node = model.find(str(target))
            assert isinstance(node, Const)
            node.value += f" + {token}"
            edits.body_changed.add(str(target))
            touch(str(target))
        elif op == "add_helper":
            assert isinstance(target, int)
            model.items.insert(min(target, len(model.items)), Func(token, ["value: int"], "int", [f"return value + {k}"]))
            edits.tokens[token] = token
        elif op in ("add_method", "add_attribute"):
            klass = model.find(str(target))
            assert isinstance(klass, Klass)
            if op == "add_method":
                klass.methods.append(Func(token, ["self"], "int", [f"return {k}"]))
            else:
                klass.attrs.append(f"{token}: int = {k}")
            touch(str(target))
        else:
            node = model.find(str(target))
            assert node is not None
            if op == "add_decorator":
                assert not isinstance(node, Const)
                node.decorators.append(f"@{token}")
            elif op == "add_comment":
                node.comments.append(f"# {token}: a note of the user's")
            else:
                assert isinstance(node, Func)
                if op == "add_docstring":
                    node.docstring = f"{node.docstring or ''}{token} explains this. "
                elif op == "add_body_comment":
                    node.body.insert(0, f"# {token}: why this is so")
                    edits.body_changed.add(str(target))
                elif op == "change_body":
                    node.body.insert(0, f"{token} = {k}")
                    edits.body_changed.add(str(target))
            touch(str(target))
    return edits


@dataclass
class GeneratorEdits:
    """The new rendering's model and what changed: tokens that must appear, removed definitions."""

    model: Module
    tokens: dict[str, str] = field(default_factory=dict)  # token → definition holding it
    removed: set[str] = field(default_factory=set)
    body_changed: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)


def apply_generator(ops: list[Op]) -> GeneratorEdits:
    edits = GeneratorEdits(base_module())
    model = edits.model
    for k, (op, target) in enumerate(ops):
        token = f"gen_{op}_{k}"
        if op == "add_import":
            model.extra_imports.append(f"from shop.{token} import Gen{k}")
            edits.tokens[f"from shop.{token} import Gen{k}"] = ""
            continue
        if op == "add_function":
            assert isinstance(target, int)
            model.items.insert(min(target, len(model.items)), Func(token, [], "str", [f'return "{token}"']))
            edits.tokens[token] = token
            edits.added.add(token)
            continue
        node = model.find(str(target))
        if node is None:  # removed by an earlier edit of the script
            continue
        if op == "remove":
            model.remove(str(target))
            edits.removed.add(str(target))
        elif op == "add_method":
            assert isinstance(node, Klass)
            node.methods.append(Func(token, ["self", f"request: Gen{k}Request"], f"Gen{k}Response", [f'return "{token}"']))
            edits.tokens[token] = f"{target}.{token}"
            edits.added.add(f"{target}.{token}")
        elif op == "change_base":
            assert isinstance(node, Klass)
            node.base = f"HandlerBaseV{k}"
            edits.tokens[f"({node.base})"] = str(target)
        elif op == "change_signature":
            assert isinstance(node, Func)
            messages = [p for p in node.params if _MESSAGE.search(p)]
            if messages:  # the proto renamed the request type
                index = node.params.index(messages[0])
                node.params[index] = _MESSAGE.sub(lambda m, k=k: f"{m.group(0)}V{k}", messages[0])
                edits.tokens[node.params[index]] = str(target)
            else:  # the proto added a field
                node.params.append(f"{token}: int = {k}")
                edits.tokens[f"{token}: int = {k}"] = str(target)
        elif op == "change_constant":
            assert isinstance(node, Const)
            node.value += f" + {token}"
            edits.tokens[token] = str(target)
            edits.body_changed.add(str(target))
        elif op == "change_body":
            assert isinstance(node, Func)
            node.body = [f'return "{token}"']
            edits.tokens[f'return "{token}"'] = str(target)
            edits.body_changed.add(str(target))
    # Forget what a later removal took away again.
    text = model.render()
    edits.tokens = {t: q for t, q in edits.tokens.items() if t in text}
    edits.added = {a for a in edits.added if a in definitions(text)}
    edits.body_changed = {b for b in edits.body_changed if b in definitions(text)}
    return edits


# -- checks --------------------------------------------------------------------------------


def assert_clean(text: str) -> None:
    """The text parses, is black-clean in potter-gen's mode, and imports exactly the message types it uses."""
    module = cst.parse_module(text)
    assert black.format_str(text, mode=BLACK_MODE) == text
    imports = [s for s in module.body if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.ImportFrom)]
    imported = {w for s in imports for w in re.findall(r"\w+", module.code_for_node(s))}
    code = module.with_changes(body=[s for s in module.body if s not in imports]).code
    assert set(_MESSAGE.findall(code)) == {n for n in imported if _MESSAGE.fullmatch(n)}, text


def definitions(text: str) -> set[str]:
    """Return the qualified names of the module's classes, functions, methods and assignments."""
    names: set[str] = set()
    for statement in cst.parse_module(text).body:
        if isinstance(statement, cst.FunctionDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Assign):
            names.add(cst.ensure_type(statement.body[0].targets[0].target, cst.Name).value)
        elif isinstance(statement, cst.ClassDef):
            names.add(statement.name.value)
            names.update(
                f"{statement.name.value}.{m.name.value}" for m in statement.body.body if isinstance(m, cst.FunctionDef)
            )
    return names


def merge(ours: str, base: str, theirs: str) -> MergeResult:
    result = merge_file(PATH, base, ours, theirs)
    if result.status is not MergeStatus.CONFLICTED:
        assert not result.conflicts
        again = merge_file(PATH, theirs, result.text, theirs)  # the next `update`
        assert (again.status, again.text) == (MergeStatus.UNCHANGED, result.text)
        repeated = merge_file(PATH, base, result.text, theirs)  # the same merge, once more
        assert (repeated.status, repeated.text, repeated.conflicts) == (MergeStatus.UNCHANGED, result.text, ()), repeated.text
    return result


user_scripts = st.lists(USER_OPS, min_size=1, max_size=5)
generator_scripts = st.lists(GENERATOR_OPS, min_size=1, max_size=4)


# -- properties --------------------------------------------------------------------------


@SETTINGS
@given(generator_scripts)
# Untouched by the user → theirs: a new body, signature, base, constant, definition, import; a removal.
@example([("change_body", "GetItemHandler.handle")])
@example([("change_signature", "CreateItemHandler.handle"), ("change_signature", "get_route")])
@example([("change_base", "CreateItemHandler"), ("change_constant", "PAGE_SIZE")])
@example([("add_function", 0), ("add_method", "GetItemHandler"), ("add_import", None)])
@example([("remove", "GetItemHandler"), ("remove", "create_route"), ("remove", "PAGE_SIZE")])
def test_untouched_ours_takes_theirs(script: list[Op]) -> None:
    base = base_module().render()
    theirs = apply_generator(script).model.render()
    result = merge(base, base, theirs)
    assert result.text == theirs
    assert result.status is (MergeStatus.UNCHANGED if theirs == base else MergeStatus.MERGED)
    assert result.kept == ()


@SETTINGS
@given(user_scripts)
# Unchanged by the generator → ours: each kind of user edit.
@example([("change_body", "CreateItemHandler.handle"), ("change_constant", "PAGE_SIZE")])
@example([("add_comment", "get_route"), ("add_decorator", "GetItemHandler"), ("add_docstring", "list_route")])
@example([("add_method", "CreateItemHandler"), ("add_attribute", "GetItemHandler"), ("add_helper", 2)])
@example([("add_import", None), ("extend_import", None), ("add_constant", 0), ("add_body_comment", "create_route")])
def test_unchanged_theirs_keeps_ours(script: list[Op]) -> None:
    base = base_module().render()
    ours = apply_user(script).model.render()
    result = merge(ours, base, base)
    assert (result.status, result.text, result.conflicts, result.kept) == (MergeStatus.UNCHANGED, ours, (), ())


@SETTINGS
@given(user_script=user_scripts, generator_script=generator_scripts)
# Both changed one body → a conflict.
@example(user_script=[("change_body", "get_route")], generator_script=[("change_body", "get_route")])
@example(user_script=[("change_constant", "PAGE_SIZE")], generator_script=[("change_constant", "PAGE_SIZE")])
# Different parts of one definition → both: the user's body with the generator's signature, docstring or base.
@example(user_script=[("change_body", "CreateItemHandler.handle")], generator_script=[("change_signature", "CreateItemHandler.handle")])
@example(user_script=[("change_body", "get_route")], generator_script=[("change_signature", "get_route")])
@example(user_script=[("add_docstring", "list_route")], generator_script=[("change_body", "list_route")])
@example(user_script=[("add_comment", "CreateItemHandler.describe")], generator_script=[("change_body", "CreateItemHandler.describe")])
@example(user_script=[("add_decorator", "create_route")], generator_script=[("change_signature", "create_route")])
@example(user_script=[("add_method", "CreateItemHandler")], generator_script=[("change_base", "CreateItemHandler")])
# Different definitions → each side's own change.
@example(user_script=[("change_body", "create_route")], generator_script=[("change_body", "list_route")])
# User additions survive beside generator additions.
@example(user_script=[("add_import", None), ("add_helper", 0)], generator_script=[("add_import", None), ("add_function", 0)])
# A definition the proto no longer needs: removed when untouched, kept (and reported) when the user touched it in any way.
@example(user_script=[("add_helper", 0)], generator_script=[("remove", "create_route")])
@example(user_script=[("add_comment", "create_route")], generator_script=[("remove", "create_route")])
@example(user_script=[("add_comment", "GetItemHandler")], generator_script=[("remove", "GetItemHandler")])
@example(user_script=[("add_body_comment", "get_route")], generator_script=[("remove", "get_route")])
@example(user_script=[("add_decorator", "list_route")], generator_script=[("remove", "list_route")])
@example(user_script=[("add_docstring", "CreateItemHandler.describe")], generator_script=[("remove", "CreateItemHandler.describe")])
@example(user_script=[("change_body", "GetItemHandler.handle")], generator_script=[("remove", "GetItemHandler.handle")])
@example(user_script=[("change_constant", "PAGE_SIZE")], generator_script=[("remove", "PAGE_SIZE")])
@example(user_script=[("add_method", "GetItemHandler")], generator_script=[("remove", "GetItemHandler")])
# A conflicting constant with the user's comment above it: the conflict's line is the comment's.
@example(user_script=[("change_constant", "PAGE_SIZE"), ("add_comment", "PAGE_SIZE")], generator_script=[("change_constant", "PAGE_SIZE")])
def test_both_sides_edited(user_script: list[Op], generator_script: list[Op]) -> None:
    base = base_module().render()
    user, generator = apply_user(user_script), apply_generator(generator_script)
    ours, theirs = user.model.render(), generator.model.render()
    result = merge(ours, base, theirs)

    # Conflicts happen exactly where both sides changed the statements of one body.
    expected_conflicts = (user.body_changed & generator.body_changed) - generator.removed
    assert {c.name for c in result.conflicts} == expected_conflicts
    assert (result.status is MergeStatus.CONFLICTED) == bool(expected_conflicts)
    for conflict in result.conflicts:
        # A conflict names the first line of the smallest region in the user's file: the
        # definition when its signature or docstring conflicts, else the body lines (diff3).
        assert ours.splitlines()[conflict.line - 1].strip() == conflict.ours.splitlines()[0].strip(), conflict
        depth = conflict.name.count(".")
        assert any(textwrap.indent(conflict.ours, "    " * d) in ours for d in (depth, depth + 1)), conflict

    # Every user addition survives (inside a conflict, in the "yours" block of the markers).
    for token in user.tokens:
        assert token in result.text, token

    if result.status is MergeStatus.CONFLICTED:
        assert result.text.count("\n<<<<<<< yours\n") == len(result.conflicts)
        assert result.text.count("\n||||||| base\n") == len(result.conflicts)
        return

    # Every generator change outside conflicts is applied.
    for token in generator.tokens:
        assert token in result.text, token
    kept = {q for q in generator.removed & user.touched if "." not in q or q.split(".")[0] not in generator.removed}
    assert set(result.kept) == kept
    user_defs = definitions(ours)
    dropped = {d for d in generator.removed - kept if d.split(".")[0] not in kept}  # a kept class stays whole
    expected_defs = {d for d in user_defs if d not in dropped and d.split(".")[0] not in dropped} | generator.added
    assert definitions(result.text) == expected_defs
    assert_clean(result.text)


# -- a conflict writes nothing, through the CLI ---------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace.create(tmp_path_factory.mktemp("merge-properties"))


def _restore(ws: Workspace, snapshot: dict[str, bytes]) -> None:
    # Reverse order: a directory's files (`a/b.py`) before the directory (`a/`).
    for relative in sorted(ws.snapshot().keys() - snapshot.keys(), reverse=True):
        path = ws.project / relative
        path.rmdir() if relative.endswith("/") else path.unlink()
    for relative, content in snapshot.items():
        path = ws.project / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


conflicting_user_scripts = st.lists(USER_OPS, max_size=3).map(lambda ops: [("change_body", "GetItemHandler.handle"), *ops])
conflicting_generator_scripts = st.lists(GENERATOR_CHANGES, max_size=3).map(
    lambda ops: [*ops, ("change_body", "GetItemHandler.handle")]
)


@settings(SETTINGS, max_examples=12)
@given(user_script=conflicting_user_scripts, generator_script=conflicting_generator_scripts)
def test_a_conflict_writes_nothing_through_the_cli(workspace: Workspace, user_script: list[Op], generator_script: list[Op]) -> None:
    """The scaffold GET gets the model's texts: base on record, ours on disk, theirs rendered."""
    pristine = workspace.snapshot()
    base = base_module().render()
    ours, theirs = apply_user(user_script).model.render(), apply_generator(generator_script).model.render()
    assert merge_file(GET, base, ours, theirs).status is MergeStatus.CONFLICTED
    real_render = render_module.render_project

    def render(project: object, layer: Layer = Layer.SERVICE) -> dict[str, OutputFile]:
        tree = real_render(project, layer)  # type: ignore[arg-type]
        assert tree[GET].kind is FileKind.SCAFFOLD
        return {**tree, GET: OutputFile(theirs, FileKind.SCAFFOLD)}

    try:
        workspace.write(GET, ours)
        workspace.write(f".potter/base/{GET}", base)
        before = workspace.snapshot()
        with mock.patch.object(render_module, "render_project", render):
            result = workspace.cli("update")
            assert result.exit_code == 1, result.output
            assert f"{GET}:" in result.output and "conflict: GetItemHandler.handle" in result.output
            assert workspace.snapshot() == before
            marked = workspace.cli("update", "--conflicts", "markers")
            assert marked.exit_code == 1, marked.output
            assert "<<<<<<< yours" in workspace.read(GET) and ">>>>>>> potter-gen" in workspace.read(GET)
    finally:
        _restore(workspace, pristine)
    assert workspace.snapshot() == pristine
