"""The `potter-gen` command line: parse arguments, call the pipeline, map errors to exit codes.

Holds no generation logic. Exit codes: 0 ok, 1 drift, conflict or internal
failure, 2 bad input or usage.
"""

from __future__ import annotations

import functools
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from potter_gen import __version__, check
from potter_gen.errors import Diagnostic, ExitCode, PotterError, UsageError, error
from potter_gen.manifest import read_manifest
from potter_gen.pipeline import ProjectRun, init_project, run_project
from potter_gen.plan import Action
from potter_gen.targets import Layer

F = TypeVar("F", bound=Callable[..., Any])


def _print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


def _reports_errors(command: F) -> F:
    """Map `PotterError` to its exit code and internal errors to one line (traceback with --debug)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except PotterError as exc:
            _print_diagnostics(exc.diagnostics)
            ctx.exit(exc.exit_code)
        except click.exceptions.Exit:
            raise
        except Exception:
            if ctx.find_root().obj and ctx.find_root().obj.get("debug"):
                traceback.print_exc()
            else:
                kind = sys.exc_info()[0]
                name = kind.__name__ if kind else "unknown"
                click.echo(f"potter-gen: internal error ({name}); rerun with --debug and please report it", err=True)
            ctx.exit(ExitCode.FAILURE)

    return wrapper  # type: ignore[return-value]


_proto_option = click.option(
    "--proto", "protos", multiple=True, type=click.Path(path_type=Path), help="A .proto file to generate from (repeatable)."
)
_include_option = click.option(
    "-I",
    "--proto-path",
    "include_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to search for imports (repeatable; default: each proto's directory). potter/options.proto needs none.",
)
_module_option = click.option("--module", default=None, help="Python package name (default: the services' module_name).")
_strict_option = click.option(
    "--strict", is_flag=True, help="Require explicit potter options: every role, aggregate or package name potter-gen would infer is an error."
)
_project_argument = click.argument(
    "project_dir", required=False, default=".", type=click.Path(path_type=Path, file_okay=False)
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks of internal errors.")
@click.version_option(__version__, "-V", "--version", prog_name="potter-gen", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Generate an event-sourced CQRS Python service from annotated .proto files.

    \b
    Start a project:    potter-gen init --proto api/service.proto --output my-service
    After proto edits:  potter-gen update      (in the project: merges into your files)
    In CI:              potter-gen check       (exit 1 when code and protos drift)
    A client package:   potter-gen sdk --proto api/service.proto --output my-client
    """
    ctx.obj = {"debug": debug}


@main.command()
@click.option("--proto", "protos", multiple=True, required=True, type=click.Path(path_type=Path), help="A .proto file to generate from (repeatable).")
@_include_option
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Directory of the new project.")
@_module_option
@click.option("--force", is_flag=True, help="Write into a non-empty output directory.")
@_strict_option
@_reports_errors
def init(protos: tuple[Path, ...], include_dirs: tuple[Path, ...], output: Path, module: str | None, force: bool, strict: bool) -> None:
    """Scaffold a new service project from PROTO files into OUTPUT."""
    generated = init_project(protos, output, include_dirs, module, force, strict=strict)
    _print_diagnostics(generated.diagnostics)
    click.echo(f"Wrote {len(generated.tree)} files for package '{generated.project.package}' to {output}")
    click.echo(f"Next: cd {output} && make install test run")


def _report_run(run: ProjectRun, dry_run: bool, markers: bool) -> None:
    _print_diagnostics(run.diagnostics)
    for change in run.plan.changes:
        if dry_run and change.action is not Action.KEEP:
            diff = check.unified_diff(change)
            if diff:
                click.echo(diff, nl=not diff.endswith("\n"))
        if change.action is Action.CONFLICT:
            continue
        note = ""
        if change.action is Action.KEEP:
            note = f": no longer generated, but you edited {', '.join(change.kept)}, so it stays"
        elif change.action is Action.RECREATE:
            note = ": you had deleted it"
        elif change.kept:
            note = f" (kept your edited {', '.join(change.kept)}, no longer generated)"
        verb = change.action.value if not dry_run else f"would be {change.action.value}"
        click.echo(f"{change.path}: {verb}{note}")
    for change in run.plan.conflicts:
        for conflict in change.conflicts:
            click.echo(f"{change.path}:{conflict.line}: conflict: {conflict.name} was changed by you and by the protos", err=True)
            click.echo("  yours:\n" + _indent(conflict.ours) + "\n  potter-gen:\n" + _indent(conflict.theirs), err=True)
    if run.plan.conflicts:
        if markers and run.written:
            click.echo("Conflict markers written; resolve them, then run `potter-gen update` again.", err=True)
        else:
            click.echo("Nothing was written. Resolve the conflicts by hand, or rerun with --conflicts markers.", err=True)
    elif run.plan.is_noop:
        click.echo("Up to date: nothing to change.")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _run(
    project_dir: Path,
    merge: bool,
    protos: tuple[Path, ...],
    include_dirs: tuple[Path, ...],
    module: str | None,
    dry_run: bool,
    conflicts: str,
    strict: bool = False,
) -> None:
    markers = conflicts == "markers"
    run = run_project(
        project_dir,
        merge=merge,
        protos=protos,
        include_dirs=include_dirs,
        module=module,
        write=not dry_run,
        markers=markers,
        strict=strict,
    )
    _report_run(run, dry_run, markers)
    if run.plan.conflicts:
        click.get_current_context().exit(ExitCode.FAILURE)


@main.command()
@_project_argument
@_proto_option
@_include_option
@_module_option
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
@_strict_option
@_reports_errors
def generate(
    project_dir: Path, protos: tuple[Path, ...], include_dirs: tuple[Path, ...], module: str | None, dry_run: bool, strict: bool
) -> None:
    """Rewrite GENERATED files and create missing scaffolds.

    Also removes the GENERATED files the protos no longer need. PROJECT_DIR defaults to the current directory; the protos, include dirs
    and module recorded by `init` are used unless given again.
    """
    _run(project_dir, False, protos, include_dirs, module, dry_run, "fail", strict)


@main.command()
@_project_argument
@_proto_option
@_include_option
@_module_option
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
@click.option(
    "--conflicts",
    type=click.Choice(["fail", "markers"]),
    default="fail",
    show_default=True,
    help="On conflict: write nothing (fail), or write git-style markers (markers). Both exit 1.",
)
@_strict_option
@_reports_errors
def update(
    project_dir: Path,
    protos: tuple[Path, ...],
    include_dirs: tuple[Path, ...],
    module: str | None,
    dry_run: bool,
    conflicts: str,
    strict: bool,
) -> None:
    """Like generate, and merge proto changes into your files.

    The merge into your SCAFFOLD files is three-way: your edits are kept; a definition both you and the protos changed is a
    conflict, listed with file:line, and then nothing is written.
    """
    _run(project_dir, True, protos, include_dirs, module, dry_run, conflicts, strict)


@main.command(name="check")
@_project_argument
@_proto_option
@_include_option
@_module_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text", show_default=True)
@click.option("--diff", "with_diff", is_flag=True, help="Include the unified diff of each drifted file.")
@_strict_option
@_reports_errors
def check_command(
    project_dir: Path,
    protos: tuple[Path, ...],
    include_dirs: tuple[Path, ...],
    module: str | None,
    output_format: str,
    with_diff: bool,
    strict: bool,
) -> None:
    """Exit 1 when the project and its protos drift (for CI).

    Exit 0 when in sync. Renders in memory and dry-runs the merge; writes nothing.
    """
    run = run_project(
        project_dir, merge=True, protos=protos, include_dirs=include_dirs, module=module, write=False, strict=strict
    )
    findings = check.find_drift(run.plan)
    if output_format == "github":
        prefix = os.path.relpath(project_dir)
        findings = [f if prefix == "." else check.Drift(f"{prefix}/{f.file}", f.kind, f.ownership, f.line, f.message, f.diff) for f in findings]
    formatter = {"text": check.format_text, "json": check.format_json, "github": check.format_github}[output_format]
    click.echo(formatter(findings, with_diff), nl=False)
    if findings:
        click.get_current_context().exit(ExitCode.FAILURE)


@main.command()
@click.option("--proto", "protos", multiple=True, type=click.Path(path_type=Path), help="A .proto file to generate from (repeatable).")
@_include_option
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Directory of the client package.")
@_module_option
@click.option("--force", is_flag=True, help="Write a new SDK into a non-empty directory.")
@_strict_option
@_reports_errors
def sdk(
    protos: tuple[Path, ...], include_dirs: tuple[Path, ...], output: Path, module: str | None, force: bool, strict: bool
) -> None:
    """Generate the typed client package of the service into OUTPUT.

    The package is `<module>-client`. The first run needs --proto; OUTPUT then records the invocation, so
    `potter-gen sdk -o OUTPUT` (or `potter-gen generate` and `check` in
    OUTPUT) regenerates it. Every SDK file is generated: regenerating
    rewrites them all.
    """
    manifest = read_manifest(output) if output.is_dir() else None
    if manifest is not None and manifest.invocation.layer is Layer.SDK:
        _run(output, False, protos, include_dirs, module, False, "fail", strict)
        return
    if manifest is not None:
        raise UsageError([error(f"{output} holds a service project", "Give the SDK a directory of its own", file=str(output))])
    if not protos:
        raise UsageError([error(f"{output} holds no SDK yet, so --proto is needed", "Pass --proto FILE (and -I DIR for imports)")])
    generated = init_project(protos, output, include_dirs, module, force, Layer.SDK, strict)
    _print_diagnostics(generated.diagnostics)
    from potter_gen.render import sdk_package  # Jinja loads only for commands that render

    click.echo(f"Wrote {len(generated.tree)} files for package '{sdk_package(generated.project)}' to {output}")
    click.echo(f'Next: pip install "$(potter-gen runtime)" {shlex.quote(str(output))}')


@main.command()
def version() -> None:
    """Print the potter-gen version (as --version does)."""
    click.echo(f"potter-gen {__version__}")


@main.command()
def runtime() -> None:
    """Print the potter-runtime directory pip installs.

    It is the potter-runtime generated code needs, as a source distribution pip installs (`pip install "$(potter-gen
    runtime)[service]"`); generated projects' `make install` use it, so they
    install where no package index holds potter-runtime.
    """
    from potter_gen.resources import runtime_dir  # grpc_tools loads only for commands that need it

    click.echo(runtime_dir())
