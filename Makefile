# Botmoon: `make up` starts the stack on :37674, `make test` runs every check. `make help` lists the rest.
.PHONY: help compose-env up down test test-runsc bench proto proto-check lint images base-image wheels venv logs clean checkov chromium
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_FILE := deploy/compose/compose.yaml
# DB=postgres: the gateway on PostgreSQL, GATEWAY_REPLICAS gateways sharing it (deploy/compose/postgres.yaml).
DB ?= sqlite
GATEWAY_REPLICAS ?= 1
COMPOSE_FILES := $(COMPOSE_FILE) $(if $(filter postgres,$(DB)),deploy/compose/postgres.yaml)
REPLICA_SCALE = $(if $(filter postgres,$(DB)),--scale gateway-replica=$(shell echo $$(($(GATEWAY_REPLICAS) - 1))))
# One stack per compose project: its name, the host port of its gateway, and where its settings come from.
PROJECT ?= botmoon
HOST_PORT ?= 37674
ENV_FILE ?= .env
export HOST_PORT
export SANDBOX_POOL := compose-$(PROJECT)
export BOTMOON_ENV_DIR := $(CURDIR)/build/compose/$(PROJECT)
STACK = $(COMPOSE) --env-file $(BOTMOON_ENV_DIR)/compose.env -p $(PROJECT) $(addprefix -f ,$(COMPOSE_FILES))
READY_HOST = $(if $(filter-out 0.0.0.0 ::,$(GATEWAY_BIND)),$(GATEWAY_BIND),127.0.0.1)
export TESTCONTAINERS_RYUK_DISABLED := true
PACKAGES := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml services/*/*/pyproject.toml)

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/dev.txt requirements/constraints.txt $(PACKAGES)
	@mkdir -p build && flock build/.venv.lock sh -c 'test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/pip install -q -c requirements/constraints.txt -r requirements/dev.txt' && touch $@

venv: $(BIN)/.installed ## install the packages and tools on the host

proto: venv ## regenerate the Python stubs from proto/
	scripts/proto.sh libs/botmoon-proto

proto-check: venv ## fail if the committed stubs differ from what proto/ generates
	scripts/proto.sh --check libs/botmoon-proto

lint: venv ## ruff
	$(BIN)/ruff check .

base-image: ## the base image: python:3.11-slim, or one built here from Debian's packages
	@scripts/base-image.sh

SOURCES := $(shell find libs services -type f \( -name '*.py' -o -name '*.toml' -o -name '*.txt' -o -name '*.gz' -o -path '*/console/static/*' \) \
             -not -path '*/tests/*' 2>/dev/null) requirements/constraints.txt
DOCKERFILES := $(shell find services -name Dockerfile)

build/wheels/.stamp: $(SOURCES) scripts/wheels.sh | venv
	scripts/wheels.sh && touch $@

build/images.stamp: build/wheels/.stamp $(DOCKERFILES) scripts/images.sh $(wildcard deploy/k8s/engine/*) \
  $(wildcard deploy/compose/postgres/*)
	scripts/images.sh && touch $@

wheels: build/wheels/.stamp ## wheels for the images, built on the host

images: venv ## build every image (skipped when nothing changed; Docker's cache otherwise)
	@for image in sandbox-runner sandbox gateway marketdata backtest sandbox-engine postgres; do \
	  docker image inspect botmoon/$$image:latest >/dev/null 2>&1 || rm -f build/images.stamp; done
	@mkdir -p build && flock build/.images.lock $(MAKE) --no-print-directory build/images.stamp

BACKTEST_REPLICAS ?= 1
# BUILD=0: `make up` uses the images as they are (tests that built them first; IMAGE_TAG=… picks a tagged set).

compose-env:
	@$(PYTHON) scripts/compose-env.py $(BOTMOON_ENV_DIR) $(ENV_FILE)

# SANDBOX_RUNTIME=runsc: user code under gVisor in the stack's dedicated engine (runc by default; docs/sandbox.md).
# Like every SANDBOX_* setting it reaches the sandbox service through scripts/compose-env.py.
up: $(if $(filter 0,$(BUILD)),,images) compose-env ## start the stack on :37674 (HOST_PORT, PROJECT) and wait until healthy (BACKTEST_REPLICAS=N scales backtest; DB=postgres GATEWAY_REPLICAS=N; SANDBOX_RUNTIME=runsc)
	$(if $(filter postgres,$(DB)),scripts/postgres-image.sh)
	$(STACK) up -d --remove-orphans --scale backtest=$(BACKTEST_REPLICAS) $(REPLICA_SCALE)
	scripts/wait-ready.sh http://$(READY_HOST):$(HOST_PORT)/ready 180 || { $(STACK) logs --tail 5 gateway; exit 1; }
	@echo "Botmoon is up: http://$(READY_HOST):$(HOST_PORT)  (API docs: http://$(READY_HOST):$(HOST_PORT)/docs)"

down: compose-env ## stop the stack and remove its containers (VOLUMES=1 removes the data too)
	$(STACK) down --remove-orphans $(if $(VOLUMES),-v,)
	scripts/remove-sandboxes.sh $(SANDBOX_POOL)

logs: compose-env ## follow logs (service=gateway|sandbox)
	$(STACK) logs -f $(service)

CHECKOV := build/tools/checkov/bin/checkov
$(CHECKOV): requirements/checkov.txt
	@mkdir -p build/tools && flock build/.checkov.lock sh -c '$(PYTHON) -m venv build/tools/checkov && \
	  build/tools/checkov/bin/pip install -q -r requirements/checkov.txt' && touch $@

checkov: $(CHECKOV) ## the Kubernetes policy linter, in a venv of its own (tests/k8s/test_policy_lint.py)

chromium: ## Debian's chromium and chromium-driver for the console's browser tests (apt-get, when missing)
	@tests/browser/install-chromium.sh

# The gateway's persistence again, on a throwaway PostgreSQL (the whole suite above runs on SQLite).
PG_TESTS := services/gateway/tests tests/integration/test_gateway_ai.py tests/integration/test_live_strategies.py

# The sandbox's isolation and hostile-code tests again under gVisor, in a dedicated engine the run starts itself
# (botmoon_testing.sandbox_runtime; the host's daemon.json is never touched). All of them, none deselected: where
# gVisor differs (a fork bomb ends the whole sandbox rather than being reported at the pids limit; the runner's
# descriptors listable, not openable) the tests assert what holds there (docs/sandbox.md, "Runtimes").
RUNTIME_TESTS := services/sandbox/tests tests/integration/test_sandbox_isolation.py \
  tests/integration/test_sandbox_session.py tests/integration/test_sandbox_reply_channel.py
RUNSC_TESTS = --sandbox-runtime runsc $(RUNTIME_TESTS)

test: venv proto-check lint images $(CHECKOV) chromium ## stubs fresh, lint, then the whole suite
	scripts/test-postgres.sh
	$(BIN)/pytest
	$(BIN)/pytest --db postgresql $(PG_TESTS)
	$(BIN)/pytest $(RUNSC_TESTS)

test-runsc: venv images ## the sandbox's isolation and hostile-code tests under gVisor (runsc), in a dedicated engine
	$(BIN)/pytest $(RUNSC_TESTS)

bench: venv images chromium ## benchmarks; figures go to docs/benchmarks.md
	$(BIN)/pip install -q -c requirements/constraints.txt -r requirements/bench.txt
	$(BIN)/python -m bench

clean: down ## remove build outputs and the venv
	rm -rf build $(VENV)
