"""Hypothesis: random sequences of proto changes and user edits on a real generated project.

Each example copies a freshly generated project, then runs 2-4 steps; a step
is a proto change (add an RPC, add a field to a request, rename a request
field, add an event, remove an RPC) or a user edit (edit a handler body, add a
helper, an import, a method to the aggregate), followed by `potter-gen update`.
After every step:

- no user edit is silently lost: each survives in its file, or `update` exits 1
  listing a conflict and the project is byte-for-byte as before;
- every `.py` file parses and is black-clean (a fixed point of potter-gen's mode);
- `update` twice = once: a second run prints "Up to date" and changes no byte
  (`.potter/` included), and `check` reports the project in sync;

and at the end, when no conflict was reported, the generated project's own
tests pass. Request changes are steered away from handlers whose body the
user edited (`Story.unedited_requests`), so stories rarely end early at a
conflict and most run every step and the generated tests.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import black
import libcst as cst
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from tests.black_style import BLACK_MODE
from tests.scenarios.workspace import AGGREGATE, Workspace

# -- the proto, as a small model ------------------------------------------------------------

COMMAND = '(potter.command) = { aggregate: "Item" }'
QUERY = "(potter.query) = {}"


@dataclass
class Rpc:
    name: str
    option: str

    @property
    def request(self) -> str:
        return f"{self.name}Request"

    @property
    def response(self) -> str:
        return f"{self.name}Response"


@dataclass
class Message:
    name: str
    fields: list[tuple[str, str]]  # (type, name); numbered in order
    option: str = ""


@dataclass
class Proto:
    rpcs: list[Rpc]
    messages: list[Message]

    def message(self, name: str) -> Message:
        return next(m for m in self.messages if m.name == name)

    def render(self) -> str:
        lines = [
            'syntax = "proto3";',
            "",
            "package acme.shop.v1;",
            "",
            'import "potter/options.proto";',
            "",
            "service ShopService {",
            '  option (potter.service) = { module_name: "shop" transport: ["REST"] };',
        ]
        for rpc in self.rpcs:
            lines += ["", f"  rpc {rpc.name}({rpc.request}) returns ({rpc.response}) {{", f"    option {rpc.option};", "  }"]
        lines.append("}")
        for message in self.messages:
            lines += ["", f"message {message.name} {{"]
            if message.option:
                lines.append(f"  option {message.option};")
            lines += [f"  {kind} {name} = {number};" for number, (kind, name) in enumerate(message.fields, start=1)]
            lines.append("}")
        return "\n".join(lines) + "\n"


def event_message(name: str, event_type: str) -> Message:
    option = f'(potter.event) = {{ event_type: "{event_type}" aggregate: "Item" }}'
    return Message(name, [("string", "item_id"), ("string", "name"), ("int32", "quantity")], option)


def base_proto() -> Proto:
    return Proto(
        [Rpc("CreateItem", COMMAND), Rpc("GetItem", QUERY), Rpc("UpdateItem", COMMAND), Rpc("ArchiveItem", COMMAND)],
        [
            Message("Item", [("string", "id"), ("string", "name"), ("int32", "quantity")], '(potter.aggregate) = { name: "Item" }'),
            event_message("ItemCreated", "item.created"),
            event_message("ItemUpdated", "item.updated"),
            Message("CreateItemRequest", [("string", "name"), ("int32", "quantity")]),
            Message("CreateItemResponse", [("string", "item_id")]),
            Message("GetItemRequest", [("string", "id")]),
            Message("GetItemResponse", [("Item", "item")]),
            Message("UpdateItemRequest", [("string", "id"), ("string", "name"), ("int32", "quantity")]),
            Message("UpdateItemResponse", [("Item", "item")]),
            Message("ArchiveItemRequest", [("string", "id")]),
            Message("ArchiveItemResponse", [("bool", "archived")]),
        ],
    )


VERBS = ["Restock", "Reserve", "Release", "Inspect"]
PROTO_STEPS = ("add_rpc", "add_field", "rename_field", "add_event", "remove_rpc")
USER_STEPS = ("edit_body", "add_helper", "add_import", "add_method")
steps = st.lists(
    st.tuples(st.sampled_from(PROTO_STEPS + USER_STEPS), st.integers(0, 20)), min_size=2, max_size=4
).filter(lambda s: any(kind in PROTO_STEPS for kind, _ in s))


# -- one example --------------------------------------------------------------------------------


@dataclass
class Story:
    ws: Workspace
    proto: Proto
    edits: list[tuple[str, str]] = field(default_factory=list)  # (file, token) the user wrote
    log: list[str] = field(default_factory=list)

    def change_proto(self, kind: str, pick: int, n: int) -> None:
        proto = self.proto
        if kind == "add_rpc":
            rpc = Rpc(f"{VERBS[n]}Item", COMMAND)
            proto.rpcs.append(rpc)
            proto.messages += [Message(rpc.request, [("string", "id"), ("int32", "amount")]), Message(rpc.response, [("int32", "quantity")])]
        elif kind == "add_field":
            requests = self.unedited_requests()
            requests[pick % len(requests)].fields.append(("string", f"note_{n}"))
        elif kind == "rename_field":
            candidates = [(m, i) for m in self.unedited_requests() for i, (_, f) in enumerate(m.fields) if f != "id"]
            if not candidates:
                return
            message, index = candidates[pick % len(candidates)]
            kind_, name = message.fields[index]
            message.fields[index] = (kind_, f"{name}_v{n}")
        elif kind == "add_event":
            proto.messages.append(event_message(f"Item{VERBS[n]}ed", f"item.{VERBS[n].lower()}ed"))
        elif kind == "remove_rpc":
            removable = [r for r in proto.rpcs if r.name not in ("CreateItem", "GetItem")]
            if not removable:
                return
            rpc = removable[pick % len(removable)]
            proto.rpcs.remove(rpc)
            proto.messages = [m for m in proto.messages if m.name not in (rpc.request, rpc.response)]
        self.ws.set_proto(proto.render())

    def unedited_requests(self) -> list[Message]:
        """Return the requests of handlers whose body the user did not edit (all of them when the user edited every one).

        A request change rewrites its handler's default body: on a body the
        user edited too, that is a conflict and the story would end there.
        Steering proto changes away from edited handlers lets most stories
        run every step; conflicts are the subject of the merge tests.
        """
        edited = {Path(target).stem for target, token in self.edits if token.startswith("user_mark_")}
        requests = [m for m in self.proto.messages if m.name.endswith("Request")]
        unedited = [m for m in requests if _snake(m.name.removesuffix("Request")) not in edited]
        return unedited or requests

    def handlers(self) -> list[str]:
        src = self.ws.project / "src/shop/application"
        return sorted(p.relative_to(self.ws.project).as_posix() for p in src.glob("*/*.py") if p.name != "__init__.py" and p.parent.name in ("commands", "queries"))

    def edit(self, kind: str, pick: int, n: int) -> None:
        ws = self.ws
        files = [*self.handlers(), AGGREGATE]
        if kind == "edit_body":
            target = self.handlers()[pick % len(self.handlers())]
            lines = ws.read(target).splitlines(keepends=True)
            start = next(i for i, line in enumerate(lines) if line.startswith("    async def handle("))
            end = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith(":"))
            token = f"user_mark_{n}"
            lines.insert(end + 1, f'        {token} = "{n}"  # the user\'s edit\n')
            ws.write(target, "".join(lines))
        elif kind == "add_helper":
            target, token = files[pick % len(files)], f"user_helper_{n}"
            ws.write(target, ws.read(target) + f"\n\ndef {token}() -> int:\n    return {n}\n")
        elif kind == "add_import":
            target, token = files[pick % len(files)], f"user_json_{n}"
            ws.edit(target, "from __future__ import annotations\n", f"from __future__ import annotations\n\nimport json as {token}\n")
        else:  # add_method
            target, token = AGGREGATE, f"user_method_{n}"
            text = ws.read(target)
            docstring = re.search(r'class ItemAggregate\(.*\):\n    """.*"""\n', text)
            assert docstring, text
            method = f"\n    def {token}(self) -> int:\n        return {n}\n"
            ws.write(target, text[: docstring.end()] + method + text[docstring.end() :])
        self.edits.append((target, token))


_CLEAN: set[str] = set()  # digests of texts already known to parse and be black-clean


def assert_python_clean(ws: Workspace) -> None:
    for relative, data in ws.snapshot().items():
        digest = hashlib.sha256(data).hexdigest()
        if not relative.endswith(".py") or digest in _CLEAN:
            continue
        text = data.decode()
        cst.parse_module(text)
        assert black.format_str(text, mode=BLACK_MODE) == text, f"{relative} is not black-clean"
        _CLEAN.add(digest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def run_generated_tests(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        timeout=300,
    )


#: How update names a SCAFFOLD file it kept though the protos no longer need it (the user edited it).
ORPHAN = re.compile(r"^(\S+?): (?:kept: )?no longer generated", re.M)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("update-property")
    Workspace.create(root / "pristine", base_proto().render())
    return root


@settings(
    deadline=None,
    max_examples=8,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
@given(script=steps)
@example(script=[("edit_body", 0), ("remove_rpc", 1)])  # an edited handler outlives its RPC
def test_random_updates_keep_every_edit(pristine: Path, script: list[tuple[str, int]]) -> None:
    root = Path(tempfile.mkdtemp(dir=pristine))
    shutil.copytree(pristine / "pristine", root, dirs_exist_ok=True)
    story = Story(Workspace(root), base_proto())
    ws = story.ws
    try:
        for n, (kind, pick) in enumerate(script):
            if kind in PROTO_STEPS:
                story.change_proto(kind, pick, n)
            else:
                story.edit(kind, pick, n)
            before = ws.snapshot()
            result = ws.cli("update")
            story.log.append(f"{kind} {pick}: exit {result.exit_code}\n{result.output}")
            for relative, token in story.edits:
                assert token in ws.read(relative), f"{token} lost from {relative}\n" + "\n".join(story.log)
            if result.exit_code == 1:
                assert "conflict:" in result.output and "Nothing was written" in result.output, result.output
                assert ws.snapshot() == before, "a conflict wrote files"
                event("stopped at a conflict")
                return  # the user has to resolve it; nothing more to check
            assert result.exit_code == 0, "\n".join(story.log)
            for orphan in ORPHAN.findall(result.output):
                # The RPC is gone but the user had edited its handler: update kept the file and
                # says so until the user acts. This user deletes the dead handler.
                event("kept an edited orphan; the user deletes it")
                (ws.project / orphan).unlink()
                story.edits = [(relative, token) for relative, token in story.edits if relative != orphan]
                story.log.append(f"user deletes {orphan}")
            assert_python_clean(ws)
            once = ws.snapshot()
            again = ws.cli("update")
            assert again.exit_code == 0 and "Up to date" in again.output, again.output
            assert ws.snapshot() == once, "a second update changed files"
            check = ws.cli("check")
            assert check.exit_code == 0, check.output
        event("ran the generated tests")
        tests = run_generated_tests(ws.project)
        assert tests.returncode == 0, tests.stdout[-3000:] + "\n" + "\n".join(story.log)
    finally:
        shutil.rmtree(root, ignore_errors=True)
