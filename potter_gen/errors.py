"""Errors, diagnostics and exit codes shared by every entry point.

Pure data: nothing here prints or exits. `cli.py` alone maps a `PotterError`
to an exit code; `plugin.py` puts its text into `CodeGeneratorResponse.error`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Process exit codes of the `potter-gen` CLI."""

    OK = 0
    FAILURE = 1  # drift, merge conflict, internal error
    BAD_INPUT = 2  # bad proto, bad option, bad usage, unwritable output


class Severity(enum.Enum):
    """How serious a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class ProtoLocation:
    """A position in a `.proto` file, 1-based as compilers print it.

    Attributes:
        file: path of the file as the user should see it (relative to the
            current directory when possible).
        line: 1-based line number.
        column: 1-based column number.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One message about the input: `FILE:LINE:COL: error: WHAT. HINT`.

    Attributes:
        severity: error, warning or note.
        message: what is wrong, without a trailing period.
        hint: how to fix it (may be empty).
        location: the proto element at fault, or None when no element is.
        file: a file to name when there is no proto location (e.g. an
            output directory); ignored when `location` is set.
    """

    severity: Severity
    message: str
    hint: str = ""
    location: ProtoLocation | None = None
    file: str = ""

    def format(self) -> str:
        """Return the compiler-style one-line text of this diagnostic."""
        where = str(self.location) if self.location else self.file
        prefix = f"{where}: " if where else ""
        text = f"{prefix}{self.severity.value}: {self.message.rstrip('.')}."
        if self.hint:
            text += f" {self.hint.rstrip('.')}."
        return text


def error(
    message: str, hint: str = "", location: ProtoLocation | None = None, file: str = ""
) -> Diagnostic:
    """Return an error diagnostic (shorthand used by the model builder)."""
    return Diagnostic(Severity.ERROR, message, hint, location, file)


def warning(
    message: str, hint: str = "", location: ProtoLocation | None = None, file: str = ""
) -> Diagnostic:
    """Return a warning diagnostic."""
    return Diagnostic(Severity.WARNING, message, hint, location, file)


def note(message: str, location: ProtoLocation | None = None) -> Diagnostic:
    """Return a note diagnostic (an inference the user should know about)."""
    return Diagnostic(Severity.NOTE, message, "", location)


class PotterError(Exception):
    """Base of every error potter-gen reports to the user.

    Attributes:
        diagnostics: every problem found, in source order.
        exit_code: the CLI exit code for this category.
    """

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, diagnostics: Iterable[Diagnostic] | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [error(diagnostics)]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(self.format())

    def format(self) -> str:
        """Return every diagnostic, one per line."""
        return "\n".join(d.format() for d in self.diagnostics)


class InputError(PotterError):
    """The input cannot be used as given (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


class ProtoSyntaxError(InputError):
    """protoc rejected a `.proto` file (syntax error, missing import, ...)."""


class ValidationError(InputError):
    """The protos parse but break a potter rule (unknown aggregate, ...)."""


class UsageError(InputError):
    """The command line is wrong (missing file, non-empty output dir, ...)."""


class OutputError(InputError):
    """The output cannot be written (unwritable directory, disk full, ...)."""
