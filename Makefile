# potter-gen: `make demo` shows the main job, `make test` runs every test.
# Both set up what they need: a virtualenv in .venv with potter-gen and
# potter-runtime installed editable, plus the test tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-out
# The buf CLI for the protoc plugin tests, from the npm package that ships its binary.
BUF_VERSION := 1.75.0
BUF_STAMP := .tools/.buf-$(BUF_VERSION)
# Backing services the tests use, started by `make test` when they do not answer
# (.ci/services NAME...: postgresql, redis, nats, rabbitmq): PostgreSQL for the
# runtime's storage tests, Redis for the query cache's. One that cannot be started fails `make test` under
# CI=true; elsewhere its tests skip, each saying why.
SERVICES := postgresql redis

.PHONY: install demo test test-fast lint services bench goldens clean tools

$(STAMP): pyproject.toml runtime/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e 'runtime[service]'
	touch $(STAMP)

install: $(STAMP)

$(BUF_STAMP):
	npm install --prefix .tools --no-audit --no-fund --silent @bufbuild/buf@$(BUF_VERSION)
	.tools/node_modules/.bin/buf --version
	touch $(BUF_STAMP)

tools: $(BUF_STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py --output $(DEMO_DIR)

services:
	bash .ci/services $(SERVICES) || [ "$$CI" != true ]

test: $(STAMP) tools services lint
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check potter_gen runtime tests examples
	$(BIN)/mypy
	$(BIN)/mypy --strict runtime/potter_runtime

goldens: $(STAMP)
	$(BIN)/python -m pytest tests/golden --update-goldens

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

# Not part of `make test`: writes docs/benchmarks.md and docs/benchmarks.png (needs ../shared).
bench: $(BENCH_STAMP)
	$(BIN)/python tests/bench/run_bench.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) dist build
