"""Unit tests of potter_gen.descriptors: loading protos with the bundled protoc."""

from __future__ import annotations

from pathlib import Path

import pytest

from potter_gen.descriptors import load_protos
from potter_gen.errors import ProtoLocation, ProtoSyntaxError, Severity, UsageError
from tests.conftest import SHARED_PROTOS, require_shared

SIMPLE = SHARED_PROTOS / "potter-simple-service.proto"
SIMPLE_DISPLAY = "../shared/protos/potter-simple-service.proto"  # relative to the repository root


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_loads_requested_file_and_its_imports_in_dependency_order(in_repo: Path) -> None:
    require_shared(SIMPLE)
    loaded, diagnostics = load_protos([SIMPLE])

    assert diagnostics == []
    assert loaded.files_to_generate == ("potter-simple-service.proto",)
    names = [f.name for f in loaded.file_set.file]
    assert names == ["google/protobuf/descriptor.proto", "potter/options.proto", "potter-simple-service.proto"]


def test_keeps_source_info_for_locations_and_comments(in_repo: Path) -> None:
    require_shared(SIMPLE)
    loaded, _ = load_protos([SIMPLE])
    file_proto = loaded.file_set.file[-1]
    by_path = {tuple(loc.path): loc for loc in file_proto.source_code_info.location}

    service = by_path[(6, 0)]  # FileDescriptorProto.service[0]
    assert service.span[0] + 1 == 9  # `service SimpleService {` is on line 9 (0-based span)
    assert "SimpleService" in service.leading_comments
    message = by_path[(4, 0)]  # FileDescriptorProto.message_type[0], `message Item {`
    assert (message.span[0] + 1, message.span[1] + 1) == (52, 1)
    assert message.leading_comments.strip() == "Item aggregate"


def test_display_path_is_relative_to_the_current_directory(in_repo: Path) -> None:
    require_shared(SIMPLE)
    loaded, _ = load_protos([SIMPLE])

    assert loaded.display_path("potter-simple-service.proto") == SIMPLE_DISPLAY
    assert loaded.display_path("potter/options.proto") == "potter/options.proto"
    assert loaded.display_path("unknown.proto") == "unknown.proto"


def test_potter_options_need_no_include_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    proto = _write(
        tmp_path,
        "api/shop.proto",
        'syntax = "proto3";\npackage shop;\nimport "potter/options.proto";\n'
        'message Cart {\n  option (potter.aggregate) = { name: "Cart" };\n  string id = 1;\n}\n',
    )

    loaded, diagnostics = load_protos([proto])

    assert diagnostics == []
    assert loaded.files_to_generate == ("shop.proto",)  # default include: the proto's own directory
    assert loaded.display_path("shop.proto") == "api/shop.proto"


def test_explicit_include_dir_names_the_proto_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "api/common/money.proto", 'syntax = "proto3";\npackage common;\nmessage Money {\n  int64 cents = 1;\n}\n')
    proto = _write(
        tmp_path,
        "api/shop/cart.proto",
        'syntax = "proto3";\npackage shop;\nimport "common/money.proto";\nmessage Cart {\n  common.Money total = 1;\n}\n',
    )

    loaded, _ = load_protos([proto], [tmp_path / "api"])

    assert loaded.files_to_generate == ("shop/cart.proto",)
    assert [f.name for f in loaded.file_set.file] == ["common/money.proto", "shop/cart.proto"]
    assert loaded.display_path("common/money.proto") == "api/common/money.proto"


def test_syntax_error_carries_protocs_file_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Line 5 is `  string name = 2;`: protoc expected ";" before `string`, at column 3.
    proto = _write(tmp_path, "bad.proto", 'syntax = "proto3";\npackage bad;\nmessage A {\n  string id = 1\n  string name = 2;\n}\n')

    with pytest.raises(ProtoSyntaxError) as raised:
        load_protos([proto])

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.location == ProtoLocation("bad.proto", 5, 3)
    assert diagnostic.format() == 'bad.proto:5:3: error: Expected ";".'


def test_undefined_type_is_reported_where_it_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    proto = _write(tmp_path, "protos/bad.proto", 'syntax = "proto3";\npackage bad;\nmessage A {\n    Nope b = 1;\n}\n')

    with pytest.raises(ProtoSyntaxError) as raised:
        load_protos([proto])

    assert [d.format() for d in raised.value.diagnostics] == ['protos/bad.proto:4:5: error: "Nope" is not defined.']


def test_missing_import_reports_the_import_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    proto = _write(tmp_path, "a.proto", 'syntax = "proto3";\nimport "gone.proto";\nmessage A {}\n')

    with pytest.raises(ProtoSyntaxError) as raised:
        load_protos([proto])

    texts = [d.format() for d in raised.value.diagnostics]
    assert texts == ["gone.proto: error: File not found.", 'a.proto:2:1: error: Import "gone.proto" was not found or had errors.']


def test_protoc_warnings_are_returned_with_their_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    proto = _write(tmp_path, "u.proto", 'syntax = "proto3";\npackage u;\nimport "potter/options.proto";\nmessage A {\n  string b = 1;\n}\n')

    loaded, diagnostics = load_protos([proto])

    assert loaded.files_to_generate == ("u.proto",)
    assert [(d.severity, d.location, d.message) for d in diagnostics] == [
        (Severity.WARNING, ProtoLocation("u.proto", 3, 1), "Import potter/options.proto is unused.")
    ]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.proto"

    with pytest.raises(UsageError) as raised:
        load_protos([missing])

    assert [d.format() for d in raised.value.diagnostics] == [f"{missing}: error: no such file: {missing}. Check the --proto path."]


def test_proto_outside_include_dirs_is_a_usage_error(tmp_path: Path) -> None:
    proto = _write(tmp_path, "a/x.proto", 'syntax = "proto3";\n')
    (tmp_path / "b").mkdir()

    with pytest.raises(UsageError) as raised:
        load_protos([proto], [tmp_path / "b"])

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.format() == (
        f"{proto}: error: {proto} is not inside any --proto-path directory. Pass -I with a directory that contains it."
    )


def test_protoc_locations_agree_with_source_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # protoc's warning and the SourceCodeInfo span of the same import must name the same position.
    proto = _write(tmp_path, "u.proto", 'syntax = "proto3";\npackage u;\n  import "potter/options.proto";\nmessage A {}\n')

    loaded, (warning,) = load_protos([proto])

    (file_proto,) = [f for f in loaded.file_set.file if f.name == "u.proto"]
    (span,) = [loc.span for loc in file_proto.source_code_info.location if tuple(loc.path) == (3, 0)]  # dependency[0]
    assert warning.location == ProtoLocation("u.proto", span[0] + 1, span[1] + 1) == ProtoLocation("u.proto", 3, 3)
