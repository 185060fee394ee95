"""Every golden project's models, service and SDK, round-trip through proto3 JSON and binary (Hypothesis).

Runs `roundtrip_check.py` in a subprocess per case with the project's and
the SDK's `src/` on PYTHONPATH; protobuf's own `json_format` and message
classes (built from the same descriptors) are the reference.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml
from google.protobuf import descriptor_pb2

from potter_gen.build import build_project
from potter_gen.descriptors import load_protos
from potter_gen.render import sdk_package
from tests.conftest import REPO, require_shared

CASES = sorted(p.parent.name for p in (REPO / "golden").glob("*/case.yml"))
SCRIPT = Path(__file__).resolve().parent / "roundtrip_check.py"
EXAMPLES = 25  # per message and model class; each case checks every message of the service and the SDK


def _message_names(prefix: str, message_protos: Iterable[descriptor_pb2.DescriptorProto]) -> Iterator[str]:
    for message_proto in message_protos:
        name = f"{prefix}.{message_proto.name}" if prefix else message_proto.name
        yield name
        yield from _message_names(name, message_proto.nested_type)


def roundtrip_spec(protos: list[Path], include_dirs: list[Path], examples: int = EXAMPLES) -> tuple[dict[str, object], str]:
    """Return the script's spec for a project generated from `protos` (`examples` per class), and the project's package."""
    loaded, _ = load_protos(protos, include_dirs)
    project = build_project(loaded, None)
    declared = {name for file_proto in loaded.file_set.file for name in _message_names(file_proto.package, file_proto.message_type)}
    # Events potter-gen synthesizes for standard methods have no descriptor: protobuf cannot be their reference.
    classes = [
        [m.full_name.lstrip("."), f"{project.package}.{'domain.models' if m.is_domain else 'application.messages'}", m.class_name]
        for m in project.messages
        if m.full_name.lstrip(".") in declared
    ] + [[m.full_name.lstrip("."), f"{sdk_package(project)}.models", m.class_name] for m in project.api_messages]
    descriptor_set = base64.b64encode(loaded.file_set.SerializeToString()).decode()
    return {"descriptor_set": descriptor_set, "classes": classes, "examples": examples}, project.package


def run_roundtrip(spec: dict[str, object], source_dirs: list[Path], work: Path) -> str:
    """Run the round-trip script on `spec` with `source_dirs` importable; fail the test on a counterexample."""
    spec_file = work / "roundtrip.json"
    spec_file.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(d) for d in source_dirs)}
    result = subprocess.run([sys.executable, str(SCRIPT), str(spec_file)], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize("case", CASES)
def test_models_round_trip_through_json_and_binary(case: str, tmp_path: Path) -> None:
    golden = yaml.safe_load((REPO / "golden" / case / "case.yml").read_text())
    require_shared(*(REPO / p for p in golden["protos"]))
    spec, _ = roundtrip_spec([REPO / p for p in golden["protos"]], [REPO / p for p in golden.get("include") or []])
    for directory in ("tree", "sdk"):
        shutil.copytree(REPO / "golden" / case / directory / "src", tmp_path / directory)

    output = run_roundtrip(spec, [tmp_path / "tree", tmp_path / "sdk"], tmp_path)

    assert f"round-tripped {len(spec['classes'])} messages" in output  # type: ignore[arg-type]
