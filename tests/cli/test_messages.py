"""What the command line prints around the work: help summaries, version, hints, README tables."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from potter_gen import __version__
from potter_gen.cli import main
from potter_gen.resources import runtime_dir
from tests.conftest import EXAMPLE_PROTO, REPO

NO_SERVICE = REPO / "tests" / "cli" / "invalid" / "no_service.proto"


def test_help_shows_every_command_summary_whole() -> None:
    """click cuts a summary longer than the column with "..."; every command's first sentence fits."""
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)

    assert result.exit_code == 0
    commands = result.output.split("Commands:\n", 1)[1].splitlines()
    assert len(commands) == len(main.commands)
    for line in commands:
        name, summary = line.split(maxsplit=1)
        assert not summary.endswith("..."), line
        assert summary == (main.commands[name].help or "").split("\n", 1)[0], line


def test_version_command_and_option_print_the_same_line() -> None:
    runner = CliRunner()

    lines = {runner.invoke(main, argv).output for argv in (["version"], ["--version"], ["-V"])}

    assert lines == {f"potter-gen {__version__}\n"}


def test_no_service_error_names_the_file_once(in_repo: Path) -> None:
    display = NO_SERVICE.relative_to(REPO).as_posix()

    result = CliRunner().invoke(main, ["init", "--proto", display, "-o", "unused-output"])

    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{display}: error: no RPC that potter-gen can serve over REST;")
    assert line.count("no_service.proto") == 1
    assert not (REPO / "unused-output").exists()


def test_sdk_prints_the_next_step(tmp_path: Path) -> None:
    output = tmp_path / "library-client"

    result = CliRunner().invoke(main, ["sdk", "--proto", str(EXAMPLE_PROTO), "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f'Next: pip install "$(potter-gen runtime)" {output}'


def test_runtime_prints_an_installable_potter_runtime() -> None:
    result = CliRunner().invoke(main, ["runtime"])

    assert result.exit_code == 0
    assert Path(result.output.strip()) == runtime_dir()
    pyproject = (runtime_dir() / "pyproject.toml").read_text()
    assert re.search(r'^name = "potter-runtime"$', pyproject, re.M)
    assert (runtime_dir() / "potter_runtime" / "__init__.py").is_file()


def _readme_table_options(heading: str) -> set[str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index(heading) :]
    table = section[: section.index("\n\n", section.index("| option |"))]
    return set(re.findall(r"`(--[a-z-]+)", table))


def test_readme_init_table_lists_every_init_option() -> None:
    init = main.commands["init"]
    options = {name for param in init.params if isinstance(param, click.Option) for name in param.opts if name.startswith("--")}

    assert options <= _readme_table_options("## Usage")
