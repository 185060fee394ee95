"""Negative CLI tests: every invalid input of `potter-gen init` fails cleanly.

Each case runs `potter-gen init` through click's `CliRunner` and checks the
contract of STYLE.md §5: exit code 2, a compiler-style `FILE:LINE:COL: error:`
line naming the element at fault (line and column computed by hand from the
small protos in `invalid/`, so a regression in location reporting fails
here), the hint sentence where potter gives one, and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from potter_gen.cli import main
from tests.conftest import read_tree

# Paths relative to the repository root, the current directory of every test
# (the `in_repo` fixture), so diagnostics print them exactly like this.
DATA = "tests/cli/invalid"
VALID = "examples/library/library.proto"
PACKAGE_HINT = "Use lower-case letters, digits and underscores, starting with a letter, and not a standard-library name"


def _make_file(tmp: Path) -> None:
    (tmp / "afile").write_text("not a directory\n")


def _make_non_empty_output(tmp: Path) -> None:
    (tmp / "out" / "keep").mkdir(parents=True)
    (tmp / "out" / "keep" / "notes.txt").write_text("user data\n")
    (tmp / "out" / "README.md").write_text("# mine\n")


@dataclass(frozen=True)
class Case:
    """One invalid invocation and the diagnostic it must produce.

    `{tmp}` in any string stands for the test's temporary directory.

    Attributes:
        id: the pytest id.
        args: arguments after `init`, without `--output`.
        where: the expected `FILE:LINE:COL` (or `FILE`) before ": error:";
            "" when no file is at fault (the line starts with "error:").
        phrases: texts the error line must contain.
        hint: the hint sentence the line must end with (None: no hint).
        also: further `where` prefixes that must start an error line.
        output: the --output argument.
        setup: prepares the temporary directory before the run.
    """

    id: str
    args: tuple[str, ...]
    where: str
    phrases: tuple[str, ...]
    hint: str | None = None
    also: tuple[str, ...] = ()
    output: str = "{tmp}/out"
    setup: Callable[[Path], None] | None = field(default=None, compare=False)


def proto(name: str) -> tuple[str, ...]:
    return ("--proto", f"{DATA}/{name}")


CASES = [
    # -- protoc rejects the file (ProtoSyntaxError); protoc's own message, no hint.
    Case(
        "syntax-error",
        proto("syntax_error.proto"),
        f"{DATA}/syntax_error.proto:7:3",
        ('Expected ";"',),
    ),
    Case(
        "missing-import",
        proto("missing_import.proto"),
        f"{DATA}/missing_import.proto:5:1",
        ('Import "does/not/exist.proto" was not found or had errors',),
        also=("does/not/exist.proto",),
    ),
    Case(
        "unknown-message-type",
        proto("unknown_type.proto"),
        f"{DATA}/unknown_type.proto:7:3",
        ('"Widget" is not defined',),
    ),
    Case(
        "syntax-error-in-imported-file",
        proto("imported_syntax_error.proto"),
        f"{DATA}/deps/broken.proto:7:6",
        ("Missing numeric value for enum constant",),
        also=(f"{DATA}/imported_syntax_error.proto:5:1",),
    ),
    # -- the protos parse but break a potter rule (ValidationError).
    Case(
        "unknown-transport",
        proto("unknown_transport.proto"),
        f"{DATA}/unknown_transport.proto:8:3",
        ("unknown transport 'SOAP' in service ItemService",),
        "Use one of: REST, gRPC, GraphQL, NATS, Kafka",
    ),
    Case(
        "command-names-unknown-aggregate",
        proto("unknown_command_aggregate.proto"),
        f"{DATA}/unknown_command_aggregate.proto:11:5",
        ("command PlaceOrder names aggregate 'Order' that no message declares",),
        "Declare it with option (potter.aggregate) on a message, or use one of: Item",
    ),
    Case(
        "event-names-unknown-aggregate",
        proto("unknown_event_aggregate.proto"),
        f"{DATA}/unknown_event_aggregate.proto:13:3",
        ("event OrderPlacedEvent names unknown aggregate 'Order'",),
        "Use one of the declared aggregates (Item) or declare it with (potter.aggregate)",
    ),
    Case(
        "rpc-both-command-and-query",
        proto("command_and_query.proto"),
        f"{DATA}/command_and_query.proto:12:5",
        ("RPC TouchItem is annotated as both (potter.command) and (potter.query)",),
        "Keep exactly one: commands change state, queries read it",
    ),
    Case(
        "module-name-with-dash",
        proto("module_name_dash.proto"),
        f"{DATA}/module_name_dash.proto:8:3",
        ("module_name 'my-service' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "module-name-keyword",
        proto("module_name_keyword.proto"),
        f"{DATA}/module_name_keyword.proto:8:3",
        ("module_name 'class' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "module-name-stdlib",
        proto("module_name_stdlib.proto"),
        f"{DATA}/module_name_stdlib.proto:8:3",
        ("module_name 'json' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "module-option-invalid",
        (*("--proto", VALID), "--module", "My-Service"),
        "",
        ("--module 'My-Service' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "module-option-stdlib",
        (*("--proto", VALID), "--module", "typing"),
        "",
        ("--module 'typing' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "services-disagree-on-module-name",
        proto("module_name_conflict.proto"),
        f"{DATA}/module_name_conflict.proto:8:3",
        (
            f"services disagree on module_name: 'items_api' at {DATA}/module_name_conflict.proto:8:3; "
            f"'stock_api' at {DATA}/module_name_conflict.proto:16:3",
        ),
        "Use the same module_name everywhere, or pass --module",
        also=(f"{DATA}/module_name_conflict.proto:16:3",),
    ),
    Case(
        "rpc-names-collide-after-snake-case",
        proto("rpc_name_collision.proto"),
        f"{DATA}/rpc_name_collision.proto:14:3",
        (f"RPC Get_Item and RPC GetItem (at {DATA}/rpc_name_collision.proto:10:3) both become 'get_item' in Python",),
        "Rename one of the RPCs",
    ),
    Case(
        # naming.python_identifier escapes the keyword `class` to `class_`.
        "fields-collide-after-escaping",
        proto("field_collision.proto"),
        f"{DATA}/field_collision.proto:10:3",
        (
            "fields 'class' and 'class_' of Klass both become 'class_' in Python "
            f"(first declared at {DATA}/field_collision.proto:9:3)",
        ),
        "Rename one of them",
    ),
    Case(
        "duplicate-aggregate-name",
        proto("duplicate_aggregate.proto"),
        f"{DATA}/duplicate_aggregate.proto:13:3",
        (f"aggregate 'Item' collides with aggregate 'Item' declared at {DATA}/duplicate_aggregate.proto:8:3",),
        "Give each aggregate a distinct name (potter.aggregate name)",
    ),
    Case(
        "aggregate-name-not-identifier",
        proto("aggregate_name_not_identifier.proto"),
        f"{DATA}/aggregate_name_not_identifier.proto:8:3",
        ("aggregate name 'Line Item' is not an identifier",),
        "Use a PascalCase name such as 'Item'",
    ),
    Case(
        "nested-name-clashes-with-top-level",
        proto("duplicate_type_a.proto"),
        f"{DATA}/duplicate_type_a.proto:12:1",
        (f"'OuterInner' is declared twice in the generated code (also at {DATA}/duplicate_type_a.proto:6:3)",),
        "Rename one of the types; names must be unique across the protos of one project",
    ),
    Case(
        "editions-file",
        proto("editions.proto"),
        f"{DATA}/editions.proto:2:1",
        ("editions.proto uses edition 2023; potter-gen does not support editions yet",),
        'Use syntax = "proto3"',
    ),
    Case(
        "package-name-not-derivable",
        proto("9lives.proto"),
        "",
        ("cannot derive a Python package name from '9lives.proto'",),
        "Pass --module NAME",
    ),
    # -- bad command line or output (UsageError, OutputError).
    Case(
        "proto-file-does-not-exist",
        ("--proto", "{tmp}/nowhere.proto"),
        "{tmp}/nowhere.proto",
        ("no such file: {tmp}/nowhere.proto",),
        "Check the --proto path",
    ),
    Case(
        "proto-outside-every-include-dir",
        ("--proto", VALID, "-I", f"{DATA}/deps"),
        VALID,
        (f"{VALID} is not inside any --proto-path directory",),
        "Pass -I with a directory that contains it",
    ),
    Case(
        "output-through-regular-file",
        ("--proto", VALID),
        "{tmp}/afile/sub",
        ("{tmp}/afile/sub lies under {tmp}/afile, which is a file",),
        "Choose another --output",
        output="{tmp}/afile/sub",
        setup=_make_file,
    ),
    Case(
        "output-not-empty-without-force",
        ("--proto", VALID),
        "{tmp}/out",
        ("{tmp}/out is not empty",),
        "Choose an empty --output directory, or pass --force to write over it",
        setup=_make_non_empty_output,
    ),
]


def _error_line(stderr: str, where: str) -> str:
    start = f"{where}: error: " if where else "error: "
    lines = [line for line in stderr.splitlines() if line.startswith(start)]
    assert lines, f"no line starts with {start!r} in stderr:\n{stderr}"
    return lines[0]


def _all_paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_input_fails_with_located_diagnostic(case: Case, tmp_path: Path, in_repo: Path) -> None:
    def sub(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path))

    if case.setup is not None:
        case.setup(tmp_path)
    before = read_tree(tmp_path)
    before_paths = _all_paths(tmp_path)
    output = Path(sub(case.output))

    result = CliRunner().invoke(main, ["init", *map(sub, case.args), "--output", str(output)])

    assert result.exit_code == 2, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    line = _error_line(result.stderr, sub(case.where))
    for phrase in case.phrases:
        assert sub(phrase) in line
    if case.hint is not None:
        assert line.endswith(f". {case.hint}."), f"no hint {case.hint!r} at the end of:\n{line}"
    for where in case.also:
        _error_line(result.stderr, sub(where))
    assert "internal error" not in result.stderr
    assert "Wrote" not in result.stdout
    # Nothing written: the temporary directory is exactly as it was set up
    # (no output directory, no staging directory left behind).
    assert read_tree(tmp_path) == before
    assert _all_paths(tmp_path) == before_paths
    if case.setup is None:
        assert not output.exists()


def test_enough_cases() -> None:
    assert len(CASES) >= 18
    assert len({c.id for c in CASES}) == len(CASES)
