"""`--strict`: every inference (RPC role, aggregate, package name) and every repository potter-gen does not serve becomes an error; valid projects are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from potter_gen.cli import main
from potter_gen.pipeline import generate_tree
from potter_gen.plugin import generate_response
from tests.conftest import REPO, SHARED_PROTOS, read_tree, require_shared
from tests.plugin.helpers import request_for

PLAIN = "golden/plain/shelf.proto"
EXPLICIT = SHARED_PROTOS / "potter-product-service.proto"


@pytest.mark.usefixtures("in_repo")
def test_strict_turns_each_inference_into_an_error_and_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", "--strict", "--proto", PLAIN, "-o", str(tmp_path / "out")])

    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert f"{PLAIN}:11:1: error: no module_name given; using package 'shelf' derived from the proto package; --strict requires it explicit. Add option (potter.service) = {{ module_name: \"shelf\" }} to the service, or pass --module." in errors
    assert any(line.startswith(f"{PLAIN}:13:3: error: GetShelf: no (potter.command) or (potter.query); inferred query") and line.endswith("Add option (potter.query) = {} to the RPC.") for line in errors)
    assert f"{PLAIN}:20:1: error: Shelf: no (potter.aggregate); inferred an event-sourced aggregate from CreateShelf returning it (AIP standard methods); --strict requires it explicit. Add option (potter.aggregate) = {{}} to the message, or (potter.value_object) if it is not one." in errors
    assert any(line.startswith(f"{PLAIN}:26:1: error: Author: no (potter.aggregate); inferred an event-sourced aggregate from its (google.api.resource) type") for line in errors)
    assert len(errors) == 9  # module name, 2 aggregates, 6 RPC roles
    assert not (tmp_path / "out").exists()


def test_without_strict_the_same_inferences_are_notes(in_repo: Path) -> None:
    generated = generate_tree([Path(PLAIN)])

    assert {d.severity.value for d in generated.diagnostics} == {"note"}
    assert [a.name for a in generated.project.aggregates] == ["Shelf", "Author"]


def _explicit(tmp_path: Path, repository: str = "postgres") -> Path:
    """The original's product service, its aggregate stored in `repository` (`postgres`, as written, is served)."""
    proto = tmp_path / EXPLICIT.name
    proto.write_text(EXPLICIT.read_text().replace('repository: "postgres"', f'repository: "{repository}"'))
    return proto


def test_strict_leaves_an_explicit_project_unchanged(tmp_path: Path) -> None:
    require_shared(EXPLICIT)
    explicit = _explicit(tmp_path)
    strict = CliRunner().invoke(main, ["init", "--strict", "--proto", str(explicit), "-o", str(tmp_path / "strict")])
    plain = CliRunner().invoke(main, ["init", "--proto", str(explicit), "-o", str(tmp_path / "plain")])

    assert (strict.exit_code, plain.exit_code) == (0, 0)
    assert read_tree(tmp_path / "strict") == read_tree(tmp_path / "plain")
    checked = CliRunner().invoke(main, ["check", "--strict", str(tmp_path / "strict")])
    assert checked.exit_code == 0, checked.output


def test_strict_refuses_a_repository_potter_gen_does_not_serve(tmp_path: Path) -> None:
    require_shared(EXPLICIT)
    mongodb = _explicit(tmp_path, "mongodb")
    strict = CliRunner().invoke(main, ["init", "--strict", "--proto", str(mongodb), "-o", str(tmp_path / "strict")])
    plain = CliRunner().invoke(main, ["init", "--proto", str(mongodb), "-o", str(tmp_path / "plain")])

    assert (strict.exit_code, plain.exit_code) == (2, 0)
    message = "aggregate Product asks for repository 'mongodb', which potter-gen does not generate yet"
    assert [line for line in strict.stderr.splitlines() if message in line and ": error: " in line]
    assert [line for line in plain.stderr.splitlines() if message in line and ": warning: " in line]
    assert not (tmp_path / "strict").exists()


def test_check_strict_fails_on_a_project_that_relies_on_inference(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["init", "--proto", str(REPO / PLAIN), "-o", str(out)]).exit_code == 0

    checked = CliRunner().invoke(main, ["check", "--strict", str(out)])

    assert checked.exit_code == 2
    assert "--strict requires it explicit" in checked.stderr


def test_plugin_strict_parameter(in_repo: Path) -> None:
    response, _ = generate_response(request_for([REPO / PLAIN], parameter="strict=true"))

    assert response.HasField("error")
    assert "--strict requires it explicit" in response.error
    assert list(response.file) == []
