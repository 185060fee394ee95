"""`protoc-gen-potter`: the protoc plugin, a thin shell over the pipeline.

Reads a `CodeGeneratorRequest` from stdin and writes a `CodeGeneratorResponse`
to stdout (protobuf plugin.proto), through the same load → build → render
pipeline as `potter-gen init`, so both give the same bytes. This module only
parses the request's parameter, picks which rendered files go into the
response and reports problems; it holds no generation logic and writes no
files (protoc or buf write the response's files).

Input problems (bad parameters, editions files, potter validation errors) go
into `CodeGeneratorResponse.error` and the exit code is 0, as plugin.proto
asks; only an internal failure exits 1, with one line on stderr.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.compiler import plugin_pb2
from google.protobuf.message import DecodeError

from potter_gen import __version__
from potter_gen.descriptors import load_request
from potter_gen.errors import Diagnostic, PotterError, UsageError, error
from potter_gen.pipeline import generate_from_descriptors
from potter_gen.render import OutputTree, render_project
from potter_gen.resources import options_proto_dir
from potter_gen.targets import FileKind, Layer

Response = plugin_pb2.CodeGeneratorResponse

#: Every parameter, with the values it takes (also the text of the unknown-parameter error).
PARAMETERS = {
    "module": "NAME",
    "layers": "service|sdk|both",
    "project_dir": "DIR",
    "scaffolds": "all|missing|none",
    "strict": "true|false",
}
_LAYERS = ("service", "sdk", "both")
#: Where `layers=both` puts the client SDK, relative to the output directory.
SDK_DIR = "sdk"
_SCAFFOLDS = ("all", "missing", "none")
_NOT_A_REQUEST = "stdin is not a CodeGeneratorRequest (its bytes do not decode); protoc or buf run this plugin (see protoc-gen-potter --help)"
_USAGE = """\
usage: protoc-gen-potter [--version | --print-proto-path]

A protoc plugin: protoc or buf run it and talk to it over stdin/stdout, e.g.
  python -m grpc_tools.protoc --plugin=protoc-gen-potter=$(which protoc-gen-potter) \\
    -I proto -I "$(protoc-gen-potter --print-proto-path)" --potter_out=OUT proto/service.proto

  --version           print the version
  --print-proto-path  print the directory holding potter/options.proto (for protoc -I)
parameters (--potter_opt=k=v,... or buf opt:): {parameters}
"""


def _valid_parameters() -> str:
    return ", ".join(f"{key}={values}" for key, values in PARAMETERS.items())


@dataclass(frozen=True)
class PluginOptions:
    """The parsed `CodeGeneratorRequest.parameter`.

    Attributes:
        module: the Python package name (like `potter-gen --module`), or None.
        layers: "service" (the project `potter-gen init` makes), "sdk" (the
            client package `potter-gen sdk` makes) or "both" (the SDK under
            `SDK_DIR/`).
        project_dir: the project directory as seen from protoc's current
            directory (the same directory as `--potter_out`), or None.
        scaffolds: which SCAFFOLD files to emit: "all", "missing" (those
            not yet in `project_dir`) or "none" (GENERATED files only).
        strict: like `potter-gen --strict`: every inference is an error.
    """

    module: str | None = None
    layers: str = "service"
    project_dir: Path | None = None
    scaffolds: str = "none"
    strict: bool = False


def parse_parameter(parameter: str) -> PluginOptions:
    """Parse the comma-separated `key=value` list protoc passes as `parameter`.

    protoc joins every `--potter_opt` (and the `opts:` prefix of
    `--potter_out`) with commas; buf joins its `opt:` list the same way
    (protobuf plugin.proto, `CodeGeneratorRequest.parameter`). `scaffolds`
    defaults to "missing" when `project_dir` is given, else "none".

    Args:
        parameter: the raw parameter string, possibly empty.

    Returns:
        The options, validated.

    Raises:
        UsageError: an unknown or repeated key, an item without `=`, an
            empty or unknown value, `scaffolds=missing` without
            `project_dir`, or a `project_dir` that is not a directory.
    """
    values: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for item in (part.strip() for part in parameter.split(",")):
        if not item:
            continue
        key, equals, value = (part.strip() for part in item.partition("="))
        if key not in PARAMETERS:
            problems.append(error(f"unknown parameter '{key}'", f"Valid parameters: {_valid_parameters()}"))
        elif not equals or not value:
            problems.append(error(f"parameter '{key}' needs a value", f"Write {key}={PARAMETERS[key]}"))
        elif key in values:
            problems.append(error(f"parameter '{key}' is given twice ('{values[key]}' and '{value}')", "Give it once"))
        else:
            values[key] = value
    for key, choices in (("layers", _LAYERS), ("scaffolds", _SCAFFOLDS), ("strict", ("true", "false"))):
        if key in values and values[key] not in choices:
            problems.append(error(f"{key}={values[key]} is not valid", f"Use one of {', '.join(choices)}"))
    project_dir = Path(values["project_dir"]) if "project_dir" in values else None
    scaffolds = values.get("scaffolds", "missing" if project_dir else "none")
    if scaffolds == "missing" and project_dir is None:
        problems.append(error("scaffolds=missing needs project_dir=DIR", "Name the output directory (--potter_out, buf's out:) with project_dir"))
    if project_dir is not None and not project_dir.is_dir():
        problems.append(
            error(
                f"project_dir={project_dir} is not a directory (seen from {Path.cwd()})",
                "Create it, or name the output directory (--potter_out, buf's out:) as seen from where protoc or buf runs",
            )
        )
    if problems:
        raise UsageError(problems)
    return PluginOptions(values.get("module"), values.get("layers", "service"), project_dir, scaffolds, values.get("strict") == "true")


def select_files(tree: OutputTree, options: PluginOptions) -> OutputTree:
    """Return the files of `tree` to put in the response: every GENERATED file, and the SCAFFOLD files `options.scaffolds` asks for.

    With "missing", a SCAFFOLD file is left out when it already exists under
    `options.project_dir`, so protoc never overwrites the user's code.
    """

    def wanted(path: str, kind: FileKind) -> bool:
        if kind is FileKind.GENERATED or options.scaffolds == "all":
            return True
        return options.scaffolds == "missing" and options.project_dir is not None and not (options.project_dir / path).exists()

    return {path: output for path, output in tree.items() if wanted(path, output.kind)}


def generate_response(request: plugin_pb2.CodeGeneratorRequest) -> tuple[Response, tuple[Diagnostic, ...]]:
    """Run the pipeline on a request and return the response and the warnings and notes.

    Args:
        request: the `CodeGeneratorRequest` protoc or buf sent.

    Returns:
        The response: its files (sorted by path), or `error` set with one
        `file:line:col: error: …` line per problem and no files (protobuf
        plugin.proto); and the warnings and notes to print on stderr.
    """
    response = Response(supported_features=Response.FEATURE_PROTO3_OPTIONAL)
    try:
        options = parse_parameter(request.parameter)
        layer = Layer.SDK if options.layers == "sdk" else Layer.SERVICE
        generated = generate_from_descriptors(load_request(request), options.module, layer=layer, strict=options.strict)
    except PotterError as exc:
        response.error = exc.format()
        return response, ()
    tree = select_files(generated.tree, options)
    if options.layers == "both":
        tree.update({f"{SDK_DIR}/{path}": output for path, output in render_project(generated.project, Layer.SDK).items()})
    for path, output in sorted(tree.items()):
        response.file.add(name=path, content=output.text)
    return response, generated.diagnostics


def main(argv: Sequence[str] | None = None) -> int:
    """Run as protoc's plugin: request on stdin, response on stdout.

    `POTTER_DUMP_REQUEST=path` saves the raw request for debugging;
    `POTTER_DEBUG=1` prints the traceback of an internal error.

    Returns:
        0 when a response was written (even one carrying an error, as for
        an empty or undecodable request), 1 on an internal failure, 2 on
        bad command-line arguments or a terminal as stdin.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        print(f"protoc-gen-potter {__version__}")
        return 0
    if args == ["--print-proto-path"]:
        print(options_proto_dir())
        return 0
    if args and args[0] in ("-h", "--help"):
        print(_USAGE.format(parameters=_valid_parameters()), end="")
        return 0
    if args or sys.stdin.isatty():
        problem = f"unknown argument '{args[0]}'" if args else "stdin is a terminal, not a CodeGeneratorRequest from protoc or buf"
        print(f"protoc-gen-potter: error: {problem}\n" + _USAGE.format(parameters=_valid_parameters()), end="", file=sys.stderr)
        return 2
    data = sys.stdin.buffer.read()
    dump = os.environ.get("POTTER_DUMP_REQUEST")
    if dump:
        try:
            Path(dump).write_bytes(data)
        except OSError as exc:
            print(f"protoc-gen-potter: warning: cannot save the request to POTTER_DUMP_REQUEST={dump}: {exc.strerror}", file=sys.stderr)
    try:
        request: plugin_pb2.CodeGeneratorRequest | None = plugin_pb2.CodeGeneratorRequest.FromString(data)
    except DecodeError:
        request = None
    try:
        response, diagnostics = generate_response(request) if request is not None else (Response(error=error(_NOT_A_REQUEST).format()), ())
        if request is None or not request.file_to_generate:
            # Only a person or a broken tool sends this: say it where they look too.
            print(f"protoc-gen-potter: {response.error}", file=sys.stderr)
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        sys.stdout.buffer.write(response.SerializeToString())
        sys.stdout.buffer.flush()
    except Exception as exc:
        if os.environ.get("POTTER_DEBUG"):
            traceback.print_exc()
        else:
            print(
                f"protoc-gen-potter: internal error ({type(exc).__name__}); rerun with POTTER_DEBUG=1 and please report it",
                file=sys.stderr,
            )
        return 1
    return 0
