"""The `potter-gen` command line: parse arguments, call the pipeline, map errors to exit codes.

Holds no generation logic. Exit codes: 0 ok, 1 failure, 2 bad input or usage.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from potter_gen import __version__
from potter_gen.errors import Diagnostic, ExitCode, PotterError, Severity
from potter_gen.pipeline import init_project


def _print_diagnostics(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Generate an event-sourced CQRS Python service from annotated .proto files.

    \b
    Start a project:   potter-gen init --proto api/service.proto --output my-service
    Then:              cd my-service && make install test run
    """
    ctx.obj = {"debug": debug}


@main.command()
@click.option(
    "--proto", "protos", multiple=True, required=True, type=click.Path(path_type=Path),
    help="A .proto file to generate from (repeatable).",
)
@click.option(
    "-I", "--proto-path", "include_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
    help="Directory to search for imports (repeatable; default: each proto's directory). potter/options.proto needs none.",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Directory of the new project.")
@click.option("--module", default=None, help="Python package name (default: the services' module_name).")
@click.option("--force", is_flag=True, help="Write into a non-empty output directory.")
@click.pass_context
def init(ctx: click.Context, protos: tuple[Path, ...], include_dirs: tuple[Path, ...], output: Path, module: str | None, force: bool) -> None:
    """Scaffold a new service project from PROTO files into OUTPUT."""
    try:
        generated = init_project(protos, output, include_dirs, module, force)
    except PotterError as exc:
        _print_diagnostics(exc.diagnostics)
        ctx.exit(exc.exit_code)
    except Exception:  # an internal error: one line unless --debug
        if ctx.obj["debug"]:
            traceback.print_exc()
        else:
            kind = sys.exc_info()[0]
            click.echo(f"potter-gen: internal error ({kind.__name__ if kind else 'unknown'}); rerun with --debug and please report it", err=True)
        ctx.exit(ExitCode.FAILURE)
    _print_diagnostics(generated.diagnostics)
    errors = [d for d in generated.diagnostics if d.severity is Severity.ERROR]
    assert not errors  # the pipeline raises on errors
    click.echo(f"Wrote {len(generated.tree)} files for package '{generated.project.package}' to {output}")
    click.echo(f"Next: cd {output} && make install test run")


@main.command()
def version() -> None:
    """Print the potter-gen version."""
    click.echo(f"potter-gen {__version__}")
