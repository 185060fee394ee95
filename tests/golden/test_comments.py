"""Proto comments come through as written: docstrings (service and SDK) and OpenAPI descriptions.

The constructs golden carries comments with triple quotes, backslashes,
Jinja delimiters, non-ASCII text and a trailing quote.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

CASE = REPO / "golden" / "constructs"
SERVICE_COMMENT = 'The kitchen: says """hello""" with a backslash \\ and {{ braces }}, in ünïcode.'
RPC_COMMENT = 'Gets one dish: """quoted""", a \\ backslash, {{ jinja }} {% raw %}, ünïcode, \'single\' and a final "quote"'
MESSAGE_COMMENT = 'A dish: """quoted""", a \\ backslash, {{ jinja }}, ünïcode and a final "quote"'
FIELD_COMMENT = 'Energy in kcal; \\n is not a newline, """ is not the end.'


def _definitions(path: Path) -> dict[str, ast.AST]:
    return {node.name: node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _docstring(node: ast.AST) -> str:
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    return (ast.get_docstring(node, clean=True) or "").rstrip()


def _field_docstring(class_node: ast.AST, field: str) -> str:
    assert isinstance(class_node, ast.ClassDef)
    body = class_node.body
    for index, statement in enumerate(body[:-1]):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id == field:
            following = body[index + 1]
            assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            return str(following.value.value).strip()
    raise AssertionError(f"no field {field}")


def test_docstrings_of_service_and_sdk_read_as_the_proto_comments() -> None:
    service, sdk = CASE / "tree/src/kitchen", CASE / "sdk/src/kitchen_client"
    assert _docstring(_definitions(service / "presentation/rest/routes.py")["get_dish"]) == RPC_COMMENT
    assert _docstring(_definitions(sdk / "client.py")["get_dish"]).startswith(RPC_COMMENT + "\n")
    assert _docstring(_definitions(sdk / "async_client.py")["get_dish"]).startswith(RPC_COMMENT + "\n")
    for models in (service / "domain/models.py", sdk / "models.py"):
        dish = _definitions(models)["Dish"]
        assert _docstring(dish) == MESSAGE_COMMENT
        assert _field_docstring(dish, "calories") == FIELD_COMMENT
    assert ast.get_docstring(ast.parse((service / "__init__.py").read_text())) == SERVICE_COMMENT


OPENAPI = """
import json, sys
from kitchen.bootstrap import build_container
from kitchen.presentation.rest.app import create_app
from kitchen.settings import Settings
app = create_app(build_container(Settings(database_url="sqlite+aiosqlite:///" + sys.argv[1])))
print(json.dumps(app.openapi()))
"""


def test_openapi_descriptions_read_as_the_proto_comments(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(CASE / "tree/src"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", OPENAPI, str(tmp_path / "e.db")], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spec = json.loads(result.stdout)

    assert spec["info"]["description"] == SERVICE_COMMENT
    assert spec["paths"]["/api/v1/dishes/{id}"]["get"]["description"].rstrip() == RPC_COMMENT
    assert spec["paths"]["/api/v1/dishes/watch_dishes"]["post"]["description"] == "Streams the dishes, one JSON object per line."
