"""`proto/potter/options.proto` stays wire-compatible with the original and its module current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2 as d

from potter_gen.descriptors import load_protos
from tests.conftest import REPO, SHARED_PROTOS, require_shared


def _compiled(proto_dir: Path, name: str) -> d.FileDescriptorProto:
    loaded, _ = load_protos([proto_dir / name], [proto_dir])
    return next(f for f in loaded.file_set.file if f.name == name)


def _shape(file_proto: d.FileDescriptorProto) -> dict[str, object]:
    """Everything that matters on the wire: package, extensions, messages, fields."""
    return {
        "package": file_proto.package,
        "extensions": sorted((e.extendee, e.name, e.number, e.type_name) for e in file_proto.extension),
        "messages": {
            m.name: sorted((f.name, f.number, f.type, f.label, f.type_name) for f in m.field) for m in file_proto.message_type
        },
    }


def test_options_proto_is_wire_compatible_with_the_original(tmp_path: Path) -> None:
    """Same package, extension numbers, message and field names and numbers as the original."""
    require_shared(SHARED_PROTOS / "potter-options-original.proto")
    (tmp_path / "potter").mkdir()
    (tmp_path / "potter" / "options.proto").write_bytes((SHARED_PROTOS / "potter-options-original.proto").read_bytes())
    assert _shape(_compiled(REPO / "proto", "potter/options.proto")) == _shape(_compiled(tmp_path, "potter/options.proto"))


def test_compiled_options_module_is_current(tmp_path: Path) -> None:
    """potter_gen/_pb/potter/options_pb2.py is what protoc makes of proto/potter/options.proto today."""
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO / 'proto'}", f"--python_out={tmp_path}", "potter/options.proto"],
        check=True,
        cwd=REPO,
    )
    fresh = (tmp_path / "potter" / "options_pb2.py").read_text()
    shipped = (REPO / "potter_gen" / "_pb" / "potter" / "options_pb2.py").read_text()
    assert fresh == shipped, "regenerate it: see README, 'Repository layout'"
