"""Protos with adversarial names generate a service and an SDK that import,
pass `ruff check`, `mypy` and their own tests (issue 11, point 2).

The strategy (`adversarial.py`) batches many adversarial names into each
example: keywords, soft keywords, builtins, names the generated code
imports or defines, pydantic's attributes, enum's reserved forms, equal
names across two proto packages, two services repeating an RPC and nesting
levels, oneofs of them. Each example runs ruff, mypy and pytest on two
generated projects (about 12 s), so the default is a few examples per run;
`POTTER_ADVERSARIAL_EXAMPLES=50` explores more.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, reject, settings

from potter_gen.errors import ProtoSyntaxError
from potter_gen.pipeline import generate_tree
from potter_gen.targets import Layer
from tests.names.adversarial import AdversarialProtos, adversarial_protos
from tests.names.generated import generate_pair, run_checks

EXAMPLES = int(os.environ.get("POTTER_ADVERSARIAL_EXAMPLES", "5"))


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(protos=adversarial_protos())
def test_adversarial_names_generate_code_that_passes_ruff_mypy_and_its_own_tests(
    protos: AdversarialProtos, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("adversarial")
    for name, text in protos.files.items():
        (root / name).write_text(text)
    paths = [root / name for name in protos.files]
    try:
        generate_tree(paths, [root])
    except ProtoSyntaxError:
        reject()  # a scope clash of the drawn names themselves: protoc's rule, not potter-gen's
    pair = generate_pair(paths, [root], root / "out")
    mypy_cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    for project_dir in (pair.service_dir, pair.sdk_dir):
        run_checks(project_dir, mypy_cache)


@settings(max_examples=EXAMPLES * 6, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(protos=adversarial_protos())
def test_adversarial_names_generate_in_memory_with_the_repeated_rpc_namespaced(
    protos: AdversarialProtos, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Cheaper, so more examples: both layers render, every Python file compiles, RPCs repeated across services get distinct names."""
    root = tmp_path_factory.mktemp("adversarial")
    for name, text in protos.files.items():
        (root / name).write_text(text)
    paths = [root / name for name in protos.files]
    try:
        service = generate_tree(paths, [root])
    except ProtoSyntaxError:
        reject()
    sdk = generate_tree(paths, [root], layer=Layer.SDK)
    for relative, output in [*service.tree.items(), *sdk.tree.items()]:
        if relative.endswith(".py"):
            compile(output.text, relative, "exec", dont_inherit=True)
    rpcs = service.project.rpcs
    assert len({rpc.module for rpc in rpcs}) == len(rpcs)
    assert len({rpc.handler_class for rpc in rpcs}) == len(rpcs)
    repeated = [rpc for rpc in rpcs if [r.name for r in rpcs].count(rpc.name) > 1]
    assert len(repeated) == 2 and all(rpc.python_name == rpc.service + rpc.name for rpc in repeated)
