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
# runtime's storage tests, NATS (JetStream) for the outbox relay and event
# subscriber tests (tests/runtime/relay), Redis for the query cache's. One that
# cannot be started fails `make test` under CI=true; elsewhere its tests skip,
# each saying why.
SERVICES := postgresql nats redis

.PHONY: install demo test test-fast lint services bench bench-generator bench-service wrk goldens clean tools

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

# Not part of `make test`: writes docs/benchmarks.md and docs/benchmarks.png.
bench: bench-generator bench-service

# The generator benchmarks (needs ../shared); keeps the service section of docs/benchmarks.md.
bench-generator: $(BENCH_STAMP)
	$(BIN)/python tests/bench/run_bench.py

# The service benchmark (issue 13): the generated library service against a hand-written
# FastAPI + SQLAlchemy one on the local PostgreSQL, loaded by wrk; rewrites only the
# service section of docs/benchmarks.md. About 25 minutes; BENCH_SERVICE_ARGS="--seconds 3
# --runs 1 --sizes 100,1000" for a quick look.
bench-service: $(STAMP) wrk services
	$(BIN)/python tests/bench/service_bench.py $(BENCH_SERVICE_ARGS)

# wrk, the service benchmark's load generator, from the distribution (Debian/Ubuntu).
wrk:
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk) \
		|| sudo apt-get install -y wrk

clean:
	rm -rf $(VENV) $(DEMO_DIR) dist build
