"""Request models of every golden service accept exactly the JSON protobuf's parser accepts (Hypothesis, differential).

Runs `differential_check.py` in a subprocess per case with the project's
`src/` on PYTHONPATH; `json_format.Parse(..., ignore_unknown_fields=False)`
over the same descriptors is the reference (issue 10, point 6).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from potter_gen.build import build_project
from potter_gen.descriptors import load_protos
from tests.conftest import REPO, require_shared
from tests.roundtrip.test_roundtrip import CASES, roundtrip_spec

SCRIPT = Path(__file__).resolve().parent / "differential_check.py"
EXAMPLES = 100  # bodies per request message: the five cases take about 40 s together on a loaded 2-core machine


@pytest.mark.parametrize("case", CASES)
def test_request_models_accept_exactly_what_protobuf_parses(case: str, tmp_path: Path) -> None:
    golden = yaml.safe_load((REPO / "golden" / case / "case.yml").read_text())
    protos = [REPO / p for p in golden["protos"]]
    require_shared(*protos)
    include_dirs = [REPO / p for p in golden.get("include") or []]
    spec, _ = roundtrip_spec(protos, include_dirs, EXAMPLES)
    loaded, _ = load_protos(protos, include_dirs)
    requests = {rpc.request.full_name.lstrip(".") for rpc in build_project(loaded, None).rpcs}
    service_modules = (".domain.models", ".application.messages")  # not the SDK's copies
    spec["classes"] = [e for e in spec["classes"] if e[0] in requests and e[1].endswith(service_modules)]  # type: ignore[attr-defined]
    assert spec["classes"], f"{case}: no request message to compare"
    shutil.copytree(REPO / "golden" / case / "tree" / "src", tmp_path / "tree")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "tree"), str(SCRIPT.parent)])}

    result = subprocess.run([sys.executable, str(SCRIPT), str(spec_file)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert f"compared {len(spec['classes'])} request messages" in result.stdout  # type: ignore[arg-type]
