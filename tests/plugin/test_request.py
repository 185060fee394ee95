"""In-process tests of the plugin: `CodeGeneratorRequest` → `CodeGeneratorResponse`.

Requests are built the way protoc builds them (every file with source info,
imports first, `file_to_generate` naming the requested files) from the
bundled protoc's descriptors, then handed to `generate_response` directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.compiler import plugin_pb2

from potter_gen.descriptors import load_protos, load_request
from potter_gen.errors import UsageError
from potter_gen.pipeline import generate_tree
from potter_gen.plugin import PARAMETERS, PluginOptions, generate_response, parse_parameter, select_files
from potter_gen.render import OutputFile
from potter_gen.targets import FileKind, Layer
from tests.conftest import EXAMPLE_PROTO, require_shared, tree_diff
from tests.plugin.helpers import (
    CART,
    DATA,
    EDITION_2023,
    INVALID,
    MONEY,
    PROTOS,
    expected_tree,
    request_for,
    response_tree,
)

Response = plugin_pb2.CodeGeneratorResponse
VALID_LIST = "Valid parameters: module=NAME, layers=service|sdk|both, project_dir=DIR, scaffolds=all|missing|none, strict=true|false."


def _error_lines(response: plugin_pb2.CodeGeneratorResponse) -> list[str]:
    assert response.HasField("error"), "expected CodeGeneratorResponse.error to be set"
    assert list(response.file) == [], "a response with an error must carry no files"
    return response.error.splitlines()


# -- load_request -------------------------------------------------------------


def test_load_request_gives_the_descriptors_load_protos_gives() -> None:
    loaded, _ = load_protos([EXAMPLE_PROTO])
    from_request = load_request(request_for([EXAMPLE_PROTO]))

    assert from_request.file_set == loaded.file_set
    assert from_request.files_to_generate == loaded.files_to_generate == ("library.proto",)
    assert from_request.display_path("library.proto") == "library.proto"


def test_load_request_prefers_source_file_descriptors_for_files_to_generate() -> None:
    request = request_for([EXAMPLE_PROTO])
    source = request.source_file_descriptors.add()
    source.CopyFrom(request.proto_file[-1])
    source.options.java_package = "kept.by.source_file_descriptors"

    loaded = load_request(request)

    assert loaded.file_set.file[-1].options.java_package == "kept.by.source_file_descriptors"
    assert [f.name for f in loaded.file_set.file] == [f.name for f in request.proto_file]


def test_load_request_rejects_a_file_to_generate_missing_from_proto_file() -> None:
    request = request_for([EXAMPLE_PROTO])
    request.file_to_generate.append("ghost.proto")

    response, _ = generate_response(request)

    assert _error_lines(response) == [
        "ghost.proto: error: ghost.proto is in file_to_generate but not in proto_file. The CodeGeneratorRequest is malformed."
    ]


# -- same output as the CLI -----------------------------------------------------


@pytest.mark.parametrize("name", PROTOS)
def test_response_with_all_scaffolds_is_the_cli_tree(name: str) -> None:
    require_shared(PROTOS[name])
    response, diagnostics = generate_response(request_for([PROTOS[name]], parameter="scaffolds=all"))

    assert not response.HasField("error"), response.error
    assert response.supported_features == Response.FEATURE_PROTO3_OPTIONAL
    assert [f.name for f in response.file] == sorted(f.name for f in response.file)
    assert tree_diff(expected_tree([PROTOS[name]]), response_tree(response)) == ""
    assert all(d.severity.value != "error" for d in diagnostics)


def test_default_parameters_emit_only_generated_files() -> None:
    response, _ = generate_response(request_for([EXAMPLE_PROTO]))

    assert tree_diff(expected_tree([EXAMPLE_PROTO], kinds=[FileKind.GENERATED]), response_tree(response)) == ""


def test_module_parameter_names_the_package() -> None:
    response, _ = generate_response(request_for([EXAMPLE_PROTO], parameter="module=lending"))

    names = [f.name for f in response.file]
    assert "src/lending/domain/models.py" in names
    assert not any(n.startswith("src/library/") for n in names)


def test_warnings_and_notes_come_back_with_proto_names() -> None:
    _, diagnostics = generate_response(request_for([EXAMPLE_PROTO]))

    texts = [d.format() for d in diagnostics]
    assert "library.proto:58:3: note: SearchBooks: no (potter.command) or (potter.query); inferred query" in "\n".join(texts)


# -- several files ---------------------------------------------------------------


def test_two_files_both_to_generate_give_one_project() -> None:
    response, _ = generate_response(request_for([CART, MONEY], [DATA], parameter="scaffolds=all"))

    tree = response_tree(response)
    assert tree_diff(expected_tree([CART, MONEY], [DATA]), tree) == ""
    assert "src/shop/application/queries/get_price.py" in tree
    assert b"from shop/cart.proto, shop/money.proto. DO NOT EDIT." in tree["src/shop/domain/models.py"]


def test_imported_file_gives_types_but_not_its_service() -> None:
    response, _ = generate_response(
        request_for([CART, MONEY], [DATA], parameter="scaffolds=all", generate=["shop/cart.proto"])
    )

    tree = response_tree(response)
    assert tree_diff(expected_tree([CART], [DATA]), tree) == ""
    assert b"class Money(ValueObject):" in tree["src/shop/domain/models.py"]
    assert b"from shop/cart.proto. DO NOT EDIT." in tree["src/shop/domain/models.py"]
    assert not any("price" in path for path in tree)
    assert b"GetPrice" not in b"".join(tree.values())


# -- errors ------------------------------------------------------------------------


def test_validation_error_sets_error_with_location_and_no_files() -> None:
    response, diagnostics = generate_response(request_for([INVALID], parameter="scaffolds=all"))

    assert _error_lines(response) == [
        "unknown_transport.proto:8:3: error: unknown transport 'SOAP' in service ItemService. Use one of: REST, gRPC, GraphQL, NATS, Kafka."
    ]
    assert diagnostics == ()
    assert response.supported_features == Response.FEATURE_PROTO3_OPTIONAL


def test_unknown_parameter_lists_the_valid_ones() -> None:
    response, _ = generate_response(request_for([EXAMPLE_PROTO], parameter="modul=shop"))

    assert _error_lines(response) == [f"error: unknown parameter 'modul'. {VALID_LIST}"]


def test_sdk_layer_answers_the_sdk_tree() -> None:
    response, _ = generate_response(request_for([EXAMPLE_PROTO], parameter="layers=sdk"))

    assert not response.HasField("error")
    sdk = generate_tree([EXAMPLE_PROTO], layer=Layer.SDK).tree
    assert tree_diff({p: f.text.encode() for p, f in sdk.items()}, response_tree(response)) == ""


def test_both_layers_answers_generated_service_files_and_the_sdk_under_sdk() -> None:
    response, _ = generate_response(request_for([EXAMPLE_PROTO], parameter="layers=both"))

    names = [f.name for f in response.file]
    assert "sdk/src/library_client/client.py" in names
    assert "src/library/domain/models.py" in names
    assert "src/library/settings.py" not in names  # a scaffold: only with scaffolds=all or missing
    assert names == sorted(names)


def test_editions_file_is_a_clear_error_at_its_edition_line() -> None:
    response, _ = generate_response(request_for([EDITION_2023]))

    assert _error_lines(response) == [
        'edition2023.proto:3:1: error: edition2023.proto uses edition 2023; potter-gen does not support editions yet. Use syntax = "proto3".'
    ]
    assert not response.supported_features & Response.FEATURE_SUPPORTS_EDITIONS


# -- parameters ---------------------------------------------------------------------


def test_parameters_constant_lists_every_key() -> None:
    assert set(PARAMETERS) == {"module", "layers", "project_dir", "scaffolds", "strict"}


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        ("", PluginOptions()),
        (" , ", PluginOptions()),
        ("module=shop", PluginOptions(module="shop")),
        ("layers=service,scaffolds=all", PluginOptions(scaffolds="all")),
        ("project_dir=.", PluginOptions(project_dir=Path("."), scaffolds="missing")),
        ("project_dir=., scaffolds=none", PluginOptions(project_dir=Path("."), scaffolds="none")),
        ("project_dir=.,scaffolds=all", PluginOptions(project_dir=Path("."), scaffolds="all")),
    ],
)
def test_parse_parameter(parameter: str, expected: PluginOptions) -> None:
    assert parse_parameter(parameter) == expected


@pytest.mark.parametrize(
    ("parameter", "message"),
    [
        ("bogus=1", f"error: unknown parameter 'bogus'. {VALID_LIST}"),
        ("module", "error: parameter 'module' needs a value. Write module=NAME."),
        ("module=", "error: parameter 'module' needs a value. Write module=NAME."),
        ("module=a,module=b", "error: parameter 'module' is given twice ('a' and 'b'). Give it once."),
        ("layers=web", "error: layers=web is not valid. Use one of service, sdk, both."),
        ("scaffolds=some", "error: scaffolds=some is not valid. Use one of all, missing, none."),
        ("scaffolds=missing", "error: scaffolds=missing needs project_dir=DIR. Name the output directory (--potter_out, buf's out:) with project_dir."),
    ],
)
def test_parse_parameter_errors(parameter: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_parameter(parameter)

    assert raised.value.format() == message


def test_project_dir_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as raised:
        parse_parameter("project_dir=typo")

    assert raised.value.format().startswith(f"error: project_dir=typo is not a directory (seen from {tmp_path}).")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(UsageError) as raised:
        parse_parameter("bogus=1,layers=web,scaffolds=some")

    assert len(raised.value.diagnostics) == 3


# -- which scaffolds ------------------------------------------------------------------


def test_select_files_keeps_existing_scaffolds_out(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mine.py").write_text("# edited\n")
    tree = {
        "src/gen.py": OutputFile("g\n", FileKind.GENERATED),
        "src/mine.py": OutputFile("s\n", FileKind.SCAFFOLD),
        "src/new.py": OutputFile("n\n", FileKind.SCAFFOLD),
    }

    assert set(select_files(tree, PluginOptions(project_dir=tmp_path, scaffolds="missing"))) == {"src/gen.py", "src/new.py"}
    assert set(select_files(tree, PluginOptions(project_dir=tmp_path, scaffolds="none"))) == {"src/gen.py"}
    assert set(select_files(tree, PluginOptions(project_dir=tmp_path, scaffolds="all"))) == set(tree)
    assert set(select_files(tree, PluginOptions())) == {"src/gen.py"}
