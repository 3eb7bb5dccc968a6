# lead-events. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13: use it for the project's virtual environment when the machine has it.
# (A pyenv shim may exist for a version that is not selected: each candidate must actually run.)
PYTHON_BIN ?= $(shell for p in $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13 python3; do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install local test lint format typecheck pytest build validate org fault-matrix openapi botocore-data bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt
	@test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

# aws-sam-cli pins its own boto3: it gets a virtual environment of its own.
$(SAM_VENV)/.installed: requirements-sam.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON_BIN) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q -r requirements-sam.txt
	@touch $@

# checkov pins its own boto3 too (and many more): a virtual environment of its own as well.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON_BIN) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r requirements-checkov.txt
	@touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed ## Create both virtual environments and install everything

local: $(VENV)/.installed ## Start the whole system locally (embedded AWS + HTTP API on 127.0.0.1:3000)
	$(PY) -m local

test: install lint typecheck ## Install what is needed, lint, type-check and run every test
	$(PY) -m pytest

lint: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## ruff (lint + format check), cfn-lint with the serverless rules, checkov, the import layering
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	CKV_PARSE_ERROR_FAIL=true CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml
	PYTHONPATH=layers/shared:functions $(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed ## Format the code and fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy with the pydantic plugin
	$(VENV)/bin/mypy

build: $(SAM_VENV)/.installed ## sam build (python3.13 comes from the project's virtual environment)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build

validate: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM_VENV)/bin/sam validate --lint

org: $(VENV)/.installed ## Create an organization: make org NAME=<name> (the local stack when it runs, else AWS)
	@test -n "$(NAME)" || { echo "usage: make org NAME=<name>" >&2; exit 2; }
	@PYTHONPATH=layers/shared $(PY) -m lead_events.admin create-org --name "$(NAME)" \
		$(if $(wildcard .local/dev.json),--local .local/dev.json)

fault-matrix: $(VENV)/.installed ## Run the fault-injection suite and write its matrix into docs/reliability.md
	FAULT_MATRIX_UPDATE=1 $(PY) -m pytest -q tests/faults

openapi: $(VENV)/.installed ## Regenerate the OpenAPI document served by the docs function (after changing routes)
	PYTHONPATH=layers/shared:functions $(PY) -m api_docs.generate

botocore-data: $(VENV)/.installed ## Regenerate the trimmed botocore data the clients load (after upgrading botocore)
	PYTHONPATH=layers/shared $(PY) -m lead_events.trim_botocore_data

# SECTIONS=e2e,trigger (or BENCH_SECTIONS in the environment) runs only those, printed and not written
# to bench/results.md, which holds every section; RESULTS=<file> (BENCH_RESULTS) writes the tables there.
bench: $(VENV)/.installed ## Run the benchmarks (bench/), write bench/results.md; SECTIONS=e2e[,...] [RESULTS=file]: only those
	PYTHONPATH=.:layers/shared:functions $(if $(SECTIONS),BENCH_SECTIONS="$(SECTIONS)") \
		$(if $(RESULTS),BENCH_RESULTS="$(RESULTS)") $(PY) -m bench.run

clean: ## Remove build output and caches (keeps the virtual environments)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -not -path "./.venv*" -prune -exec rm -rf {} +
