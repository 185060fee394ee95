"""Negative CLI tests: every invalid input of `potter-gen init` fails cleanly.

Each case runs `potter-gen init` (or `generate`/`sdk` on a prepared project)
through click's `CliRunner` and checks the contract of STYLE.md §5: exit
code 2, a compiler-style `FILE:LINE:COL: error:` line naming the element at
fault (line and column computed by hand from the small protos in
`invalid/`, so a regression in location reporting fails here), the hint
sentence where potter gives one, and nothing written.

Groups: protoc rejects the file; a potter rule is broken (the model
builder's `ValidationError`), including every option value out of range or
malformed; a bad command line or output; a project whose state is missing,
broken or unsafe. Warnings (a repository potter-gen does not serve without
`--strict`, a cache TTL without `cacheable`) are not cases: the unit tests
of the model builder check them.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from potter_gen import write
from potter_gen.cli import main
from potter_gen.errors import OutputError
from potter_gen.pipeline import init_project
from potter_gen.write import write_tree
from tests.conftest import EXAMPLE_PROTO, read_tree

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


def _make_project(tmp: Path) -> None:
    """`{tmp}/svc`: the library example as `potter-gen init` leaves it (package `library`)."""
    init_project([EXAMPLE_PROTO], tmp / "svc")


def _make_plain_directory(tmp: Path) -> None:
    (tmp / "plain").mkdir()
    (tmp / "plain" / "notes.txt").write_text("not a project\n")


def _corrupt_manifest(tmp: Path) -> None:
    (tmp / "svc" / ".potter").mkdir(parents=True)
    (tmp / "svc" / ".potter" / "manifest.json").write_text('{"generator_version": \n')


def _manifest_lists_outside_file(tmp: Path) -> None:
    """A tampered manifest claims `../outside.py`, a user's file beside the project, as GENERATED and stale."""
    _make_project(tmp)
    (tmp / "outside.py").write_text("# the user's own file\n")
    path = tmp / "svc" / ".potter" / "manifest.json"
    document = json.loads(path.read_text())
    document["files"]["../outside.py"] = {"kind": "generated", "sha256": "0" * 64}
    path.write_text(json.dumps(document, indent=2))


def _link_domain_outside(tmp: Path) -> None:
    """`src/library/domain` becomes a symbolic link to an empty directory outside the project."""
    _make_project(tmp)
    domain = tmp / "svc" / "src" / "library" / "domain"
    shutil.rmtree(domain)
    (tmp / "elsewhere").mkdir()
    domain.symlink_to(tmp / "elsewhere", target_is_directory=True)


def _lock_directory(tmp: Path) -> None:
    (tmp / "locked").mkdir()
    (tmp / "locked").chmod(0o500)


def _refuses_new_entries(directory: Path) -> bool:
    try:
        (directory / "potter-gen-probe").mkdir()
    except OSError:
        return True
    (directory / "potter-gen-probe").rmdir()
    return False


# Permissions do not stop root (tests often run as root in containers): there
# the unwritable output lies in a kernel file system that refuses new entries.
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_KERNEL_DIR = next((d for d in ("/sys", "/proc") if IS_ROOT and Path(d).is_dir() and _refuses_new_entries(Path(d))), "")
UNWRITABLE = f"{_KERNEL_DIR}/potter-gen-out" if IS_ROOT else "{tmp}/locked/out"


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write.os, "replace", replace)


@dataclass(frozen=True)
class Case:
    """One invalid invocation and the diagnostic it must produce.

    `{tmp}` in any string stands for the test's temporary directory.

    Attributes:
        id: the pytest id.
        args: arguments after the command, without `--output`.
        where: the expected `FILE:LINE:COL` (or `FILE`) before ": error:";
            "" when no file is at fault (the line starts with "error:").
        phrases: texts the error line must contain.
        hint: the hint sentence the line must end with (None: no hint).
        also: further `where` prefixes that must start an error line.
        output: the --output argument (`init` and `sdk` only).
        setup: prepares the temporary directory before the run.
        command: the potter-gen command run.
        patch: monkeypatches the run (a failing file system).
    """

    id: str
    args: tuple[str, ...]
    where: str
    phrases: tuple[str, ...]
    hint: str | None = None
    also: tuple[str, ...] = ()
    output: str = "{tmp}/out"
    setup: Callable[[Path], None] | None = field(default=None, compare=False)
    command: str = "init"
    patch: Callable[[pytest.MonkeyPatch], None] | None = field(default=None, compare=False)


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
        "import-cycle",
        proto("import_cycle.proto"),
        f"{DATA}/import_cycle.proto:5:1",
        ("File recursively imports itself: import_cycle.proto -> import_cycle.proto",),
    ),
    Case(
        "enum-first-value-not-zero",
        proto("enum_first_value_not_zero.proto"),
        f"{DATA}/enum_first_value_not_zero.proto:6:9",
        ("The first enum value must be zero",),
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
        "message-with-two-roles",
        proto("two_roles.proto"),
        f"{DATA}/two_roles.proto:9:3",
        ("message Item is annotated as (potter.aggregate) and (potter.event)",),
        "Keep exactly one: a message is an aggregate, an event, an error event or a value object",
    ),
    Case(
        "events-share-an-event-type",
        proto("duplicate_event_type.proto"),
        f"{DATA}/duplicate_event_type.proto:18:3",
        (
            f"events ItemRenamed (at {DATA}/duplicate_event_type.proto:12:1) and ItemRepriced "
            "of aggregate Item both have event_type 'item.changed'",
        ),
        "Give each event of an aggregate its own event_type",
    ),
    Case(
        "error-events-share-an-error-code",
        proto("duplicate_error_code.proto"),
        f"{DATA}/duplicate_error_code.proto:13:3",
        (f"error events OutOfStock (at {DATA}/duplicate_error_code.proto:7:1) and Discontinued both have error_code 'UNAVAILABLE'",),
        "Give each error event its own error_code",
    ),
    Case(
        "error-events-become-one-class",
        proto("error_class_collision.proto"),
        f"{DATA}/error_class_collision.proto:13:3",
        (
            f"error events StockEvent (at {DATA}/error_class_collision.proto:7:1) and StockError "
            "both become the error class 'StockError' in Python",
        ),
        "Rename one of them",
    ),
    Case(
        "module-name-is-a-path",
        proto("module_name_path.proto"),
        f"{DATA}/module_name_path.proto:8:3",
        ("module_name '../evil' is not a valid Python package name",),
        PACKAGE_HINT,
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
        "module-option-is-a-path",
        (*("--proto", VALID), "--module", "../x"),
        "",
        ("--module '../x' is not a valid Python package name",),
        PACKAGE_HINT,
    ),
    Case(
        "module-option-dotted",
        (*("--proto", VALID), "--module", "acme.library"),
        "",
        ("--module 'acme.library' is not a valid Python package name",),
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
        "rpc-module-not-importable",
        proto("rpc_module_digit.proto"),
        f"{DATA}/rpc_module_digit.proto:10:3",
        ("RPC _2FA becomes the Python module name '2_fa', which cannot be imported",),
        "Use a PascalCase name such as 'GetItem'",
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
        "aggregate-module-is-a-keyword",
        proto("aggregate_module_keyword.proto"),
        f"{DATA}/aggregate_module_keyword.proto:8:3",
        ("aggregate name 'Import' becomes the Python module name 'import', which cannot be imported",),
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
    Case(
        "no-service",
        proto("no_service.proto"),
        f"{DATA}/no_service.proto",
        ("no RPC that potter-gen can serve over REST; it needs a service with a unary or server-streaming RPC",),
        "Add a service with such an RPC (client and bidi streaming need gRPC, which is not generated yet)",
    ),
    Case(
        "only-client-streaming",
        proto("only_client_streaming.proto"),
        f"{DATA}/only_client_streaming.proto",
        ("no RPC that potter-gen can serve over REST",),
        "Add a service with such an RPC (client and bidi streaming need gRPC, which is not generated yet)",
    ),
    # -- option values out of range or malformed (model/option_values.py), located at the option.
    Case(
        "event-version-negative",
        proto("event_version_negative.proto"),
        f"{DATA}/event_version_negative.proto:23:3",
        ('version -3 of event ItemRenamed is below 1',),
        'Use a schema version of 1 or more (unset means 1)',
    ),
    Case(
        "event-type-upper-case",
        proto("event_type_upper_case.proto"),
        f"{DATA}/event_type_upper_case.proto:23:3",
        ("event_type 'Item.Renamed' of event ItemRenamed is not a dotted lower-case name",),
        "Use lower-case words joined by dots, such as 'item.created'",
    ),
    Case(
        "event-type-without-dot",
        proto("event_type_without_dot.proto"),
        f"{DATA}/event_type_without_dot.proto:23:3",
        ("event_type 'item_renamed' of event ItemRenamed is not a dotted lower-case name",),
        "Use lower-case words joined by dots, such as 'item.created'",
    ),
    Case(
        "event-type-empty-segment",
        proto("event_type_empty_segment.proto"),
        f"{DATA}/event_type_empty_segment.proto:23:3",
        ("event_type 'item..renamed' of event ItemRenamed is not a dotted lower-case name",),
        "Use lower-case words joined by dots, such as 'item.created'",
    ),
    Case(
        "event-type-shared-across-aggregates",
        proto("event_type_across_aggregates.proto"),
        f"{DATA}/event_type_across_aggregates.proto:33:3",
        (
            f"events ItemRenamed of aggregate Item (at {DATA}/event_type_across_aggregates.proto:22:1) "
            "and ShelfMoved of aggregate Shelf both have event_type 'catalog.changed'",
        ),
        "Give each event its own event_type",
    ),
    Case(
        "repository-unknown",
        proto("repository_unknown.proto"),
        f"{DATA}/repository_unknown.proto:14:3",
        ("unknown repository 'redis' for aggregate Item",),
        'Use one of: sqlite, postgres, mongodb, inmemory',
    ),
    Case(
        "repository-not-served-under-strict",
        (*proto("repository_not_served_strict.proto"), "--strict"),
        f"{DATA}/repository_not_served_strict.proto:14:3",
        ("aggregate Item asks for repository 'mongodb', which potter-gen does not generate yet; it is stored in the service's SQL event store",),
        'Use repository: "postgres" or "sqlite", or remove the option',
    ),
    Case(
        "error-code-not-upper-snake-case",
        proto("error_code_lower_case.proto"),
        f"{DATA}/error_code_lower_case.proto:28:3",
        ("error_code 'out-of-stock' of error event OutOfStock is not UPPER_SNAKE_CASE",),
        "Use upper-case words joined by underscores, such as 'OUT_OF_STOCK'",
    ),
    Case(
        "timeout-negative",
        proto("timeout_negative.proto"),
        f"{DATA}/timeout_negative.proto:13:5",
        ('timeout_seconds -5 of command RenameItem is negative',),
        'Use a number of seconds, 0 or more (0: no deadline)',
    ),
    Case(
        "cache-ttl-negative",
        proto("cache_ttl_negative.proto"),
        f"{DATA}/cache_ttl_negative.proto:9:5",
        ('cache_ttl_seconds -1 of query GetItem is negative',),
        'Use a number of seconds, 0 or more',
    ),
    Case(
        "read-model-not-identifier",
        proto("read_model_not_identifier.proto"),
        f"{DATA}/read_model_not_identifier.proto:9:5",
        ("read_model 'item-summary' of query GetItem is not an identifier",),
        "Use a name such as 'item_summary'",
    ),
    Case(
        "read-model-keyword",
        proto("read_model_keyword.proto"),
        f"{DATA}/read_model_keyword.proto:9:5",
        ("read_model 'class' of query GetItem is not an identifier",),
        "Use a name such as 'item_summary'",
    ),
    Case(
        "openapi-tag-blank",
        proto("tag_blank.proto"),
        f"{DATA}/tag_blank.proto:13:5",
        ('RPC RenameItem has a blank OpenAPI tag',),
        'Remove it, or give the tag a name',
    ),
    Case(
        "openapi-version-swagger",
        proto("openapi_version_swagger.proto"),
        f"{DATA}/openapi_version_swagger.proto:8:3",
        ("openapi_version '2.0' of service ItemService is not an OpenAPI 3.0.x or 3.1.x version",),
        "Use a version such as '3.0.3' or '3.1.0'",
    ),
    Case(
        "openapi-version-without-patch",
        proto("openapi_version_without_patch.proto"),
        f"{DATA}/openapi_version_without_patch.proto:8:3",
        ("openapi_version '3.1' of service ItemService is not an OpenAPI 3.0.x or 3.1.x version",),
        "Use a version such as '3.0.3' or '3.1.0'",
    ),
    Case(
        "contact-email-invalid",
        proto("contact_email_invalid.proto"),
        f"{DATA}/contact_email_invalid.proto:8:3",
        ("openapi_info.contact.email 'api-at-example.com' of service ItemService is not an e-mail address",),
        "Use an address such as 'api@example.com'",
    ),
    Case(
        "contact-url-without-scheme",
        proto("contact_url_without_scheme.proto"),
        f"{DATA}/contact_url_without_scheme.proto:8:3",
        ("openapi_info.contact.url 'example.com/contact' of service ItemService is not an http(s) URL",),
        "Use an absolute http(s) URL such as 'https://example.com'",
    ),
    Case(
        "terms-of-service-not-http",
        proto("terms_of_service_not_http.proto"),
        f"{DATA}/terms_of_service_not_http.proto:8:3",
        ("openapi_info.terms_of_service 'ftp://example.com/terms' of service ItemService is not an http(s) URL",),
        "Use an absolute http(s) URL such as 'https://example.com'",
    ),
    Case(
        "license-url-invalid",
        proto("license_url_invalid.proto"),
        f"{DATA}/license_url_invalid.proto:8:3",
        ("openapi_info.license.url 'see LICENSE' of service ItemService is not an http(s) URL",),
        "Use an absolute http(s) URL such as 'https://example.com'",
    ),
    Case(
        "license-without-name",
        proto("license_without_name.proto"),
        f"{DATA}/license_without_name.proto:8:3",
        ('openapi_info.license of service ItemService has a url but no name',),
        'Add the license name (OpenAPI requires it), e.g. name: "Apache 2.0"',
    ),
    # -- bad command line or output (UsageError, OutputError).
    Case(
        "include-dir-does-not-exist",
        ("--proto", VALID, "-I", "{tmp}/nowhere", "-I", "examples/library"),
        "{tmp}/nowhere",
        ("no such directory: {tmp}/nowhere",),
        "Check the -I/--proto-path directory",
    ),
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
    Case(
        "output-is-a-file",
        ("--proto", VALID),
        "{tmp}/afile",
        ("{tmp}/afile exists and is not a directory",),
        "Choose another --output",
        output="{tmp}/afile",
        setup=_make_file,
    ),
    Case(
        "output-unwritable",
        ("--proto", VALID),
        UNWRITABLE,
        (f"cannot write {UNWRITABLE}: ",),
        "Choose a writable --output directory",
        output=UNWRITABLE,
        setup=None if IS_ROOT else _lock_directory,
    ),
    Case(
        "disk-full",
        ("--proto", VALID),
        "{tmp}/out",
        ("cannot write {tmp}/out: No space left on device",),
        "Free some space on that disk, or choose another --output",
        patch=_disk_full,
    ),
    Case(
        "sdk-into-a-service-project",
        ("--proto", VALID),
        "{tmp}/svc",
        ("{tmp}/svc holds a service project",),
        "Give the SDK a directory of its own",
        output="{tmp}/svc",
        setup=_make_project,
        command="sdk",
    ),
    # -- generate on a directory whose project state is missing, broken or unsafe.
    Case(
        "generate-without-manifest",
        ("{tmp}/plain",),
        "{tmp}/plain",
        ("{tmp}/plain has no .potter/manifest.json",),
        "Run this in a project made by `potter-gen init`, or pass its directory",
        setup=_make_plain_directory,
        command="generate",
    ),
    Case(
        "generate-with-corrupt-manifest",
        ("{tmp}/svc",),
        "{tmp}/svc/.potter/manifest.json",
        ("{tmp}/svc/.potter/manifest.json is not a valid potter-gen manifest",),
        "Restore it from version control",
        setup=_corrupt_manifest,
        command="generate",
    ),
    Case(
        "manifest-lists-a-file-outside-the-project",
        ("{tmp}/svc",),
        "{tmp}/svc/.potter/manifest.json",
        ("{tmp}/svc/.potter/manifest.json lists '../outside.py', which is not a path inside the project",),
        "Restore it from version control",
        setup=_manifest_lists_outside_file,
        command="generate",
    ),
    Case(
        "generate-through-a-symlink-out-of-the-project",
        ("{tmp}/svc",),
        "{tmp}/svc/src/library/domain",
        ("files through {tmp}/svc/src/library/domain, a symbolic link to {tmp}/elsewhere outside the project",),
        "Replace the link with a real directory or file inside the project, or remove it",
        setup=_link_domain_outside,
        command="generate",
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
def test_invalid_input_fails_with_located_diagnostic(
    case: Case, tmp_path: Path, in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sub(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path))

    if case.id == "output-unwritable":
        assert not IS_ROOT or _KERNEL_DIR, "running as root, and neither /sys nor /proc refuses new entries"
    if case.setup is not None:
        case.setup(tmp_path)
    before = read_tree(tmp_path)
    before_paths = _all_paths(tmp_path)
    output = Path(sub(case.output))
    argv = [case.command, *map(sub, case.args)]
    if case.command in ("init", "sdk"):
        argv += ["--output", str(output)]
    if case.patch is not None:
        case.patch(monkeypatch)

    result = CliRunner().invoke(main, argv)

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
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


def test_write_tree_refuses_paths_outside_the_project(tmp_path: Path) -> None:
    """Defence in depth below the manifest check: `..` and absolute paths are refused before anything is staged."""
    project = tmp_path / "svc"
    project.mkdir()
    (project / "keep.txt").write_text("mine\n")
    (tmp_path / "outside.py").write_text("# the user's own file\n")
    before = read_tree(tmp_path)

    with pytest.raises(OutputError) as caught:
        write_tree(project, {"new.txt": b"new\n", "../evil.py": b"x = 1\n"}, delete=["../outside.py", "/etc/hostname", "a/./b"])

    messages = [d.message for d in caught.value.diagnostics]
    assert messages == [
        f"refusing to write '../evil.py': it is not a path inside the project {project}",
        f"refusing to delete '../outside.py': it is not a path inside the project {project}",
        f"refusing to delete '/etc/hostname': it is not a path inside the project {project}",
        f"refusing to delete 'a/./b': it is not a path inside the project {project}",
    ]
    assert read_tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.py", "svc"]  # no staging left


def test_generate_writes_through_a_symlink_that_stays_inside_the_project(tmp_path: Path) -> None:
    """The symlink check is about escaping: a link to a directory of the project itself is fine."""
    _make_project(tmp_path)
    project = tmp_path / "svc"
    domain = project / "src" / "library" / "domain"
    shutil.rmtree(domain)
    (project / "shared-domain").mkdir()
    domain.symlink_to(project / "shared-domain", target_is_directory=True)

    result = CliRunner().invoke(main, ["generate", str(project)])

    assert result.exit_code == 0, result.output
    assert (project / "shared-domain" / "models.py").is_file()

