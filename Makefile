# lead-events. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13: use it for the project's virtual environment when the machine has it.
# (A pyenv shim may exist for a version that is not selected: each candidate must actually run.)
PYTHON_BIN ?= $(shell for p in $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13 python3; do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
PYTHON_VERSION := 3.13
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
# uv makes and fills every other environment from a lock; it is installed, pinned and hash-checked, with
# the Python's own pip into a folder of its own (nothing outside this folder, nothing by hand).
TOOLS_VENV := .venv-tools
UV := $(TOOLS_VENV)/bin/uv
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# uv uses PYTHON_BIN, and never a Python it downloads.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# `make lock UPGRADE=1` moves every pin to the newest release its range allows; UPGRADE="moto ruff" only those.
LOCK_UPGRADE = $(if $(filter 1,$(UPGRADE)),--upgrade,$(addprefix --upgrade-package=,$(UPGRADE)))

.PHONY: help install lock local invoke test lint format typecheck pytest build validate org fault-matrix openapi botocore-data bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

# uv is one binary: pip puts it in a folder (--target) rather than a virtual environment of its own,
# which would cost seconds of ensurepip for a pip that is never used.
$(TOOLS_VENV)/.installed: requirements-tools.txt
	@echo "Installing uv (requirements-tools.txt) ..."
	@$(PYTHON_BIN) -m pip install -q --no-warn-script-location --root-user-action=ignore --require-hashes --no-deps --upgrade \
		--target $(TOOLS_VENV) -r requirements-tools.txt
	@touch $@

# What `make local` needs: the runtime dependencies and the local group (the embedded AWS), nothing of
# the dev group. --inexact leaves alone what a full install added; no bytecode compilation (Python
# compiles what it imports on first use).
$(VENV)/.runtime: pyproject.toml uv.lock $(TOOLS_VENV)/.installed
	$(UV) sync --frozen --inexact --no-dev --group local --python $(PYTHON_BIN)
	@touch $@

# The project's environment: exactly what uv.lock holds (pyproject.toml's dependencies and its groups).
# Not compiled to bytecode at install (22 s for its 7,800 files, most never imported): the targets
# below let Python write the bytecode of what it imports, once; bench/coldstart.py compiles it all.
$(VENV)/.installed: pyproject.toml uv.lock $(TOOLS_VENV)/.installed
	$(UV) sync --frozen --python $(PYTHON_BIN)
	@touch $@ $(VENV)/.runtime

# A tool that pins dependencies of its own gets an environment of its own, made the same way for each:
# requirements-NAME.in says what it needs, `make lock` compiles it into requirements-NAME.txt (every
# package, exact, with hashes), and this installs exactly that into .venv-NAME. aws-sam-cli pins its own
# boto3: .venv-sam.
.venv-%/.installed: requirements-%.txt $(TOOLS_VENV)/.installed
	@test -x .venv-$*/bin/python || $(UV) venv -q --python $(PYTHON_BIN) .venv-$*
	$(UV) pip sync -q --require-hashes --python .venv-$*/bin/python requirements-$*.txt
	@touch $@

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(SAM_VENV)/.installed ## Create the virtual environments and install everything, as locked
	@:

lock: $(TOOLS_VENV)/.installed ## After editing pyproject.toml or a requirements-*.in: uv.lock and the files made from it
	$(UV) lock -q $(LOCK_UPGRADE) --python $(PYTHON_BIN)
	$(UV) export -q --frozen --no-dev --no-emit-project -o layers/shared/requirements.txt
	@for in in requirements-*.in; do \
		echo "$(UV) pip compile $$in -o $${in%.in}.txt"; \
		UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile -q --universal --python-version $(PYTHON_VERSION) \
			--generate-hashes $(LOCK_UPGRADE) "$$in" -o "$${in%.in}.txt" || exit 1; \
	done

local: $(VENV)/.runtime ## Start the whole system locally (embedded AWS + HTTP API on 127.0.0.1:3000)
	$(PY) -m local

# As `sam local invoke FUNCTION -e EVENT` prints it (result on stdout, logs on stderr), without Docker.
invoke: $(VENV)/.runtime ## Run one function on one event against the running local stack: make invoke FUNCTION=<logical id> EVENT=<file>
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<logical id> EVENT=<file>" >&2; exit 2; }
	@$(PY) -m local.invoke "$(FUNCTION)" "$(EVENT)"

# First the environments, side by side. Then the tests, in PYTEST_WORKERS processes (pytest-xdist): one
# more than a 2-core machine has cores, as the suite waits on sockets and the emulator's transaction holds
# more than it computes. Lint and the type check run beside them at a lower priority, on what CPU the tests
# leave (the run waits for the tests, not for them); their output is printed after the tests'.
PYTEST_WORKERS ?= 3
CHECKS_LOG := .artifacts/checks.log
# The suite starts dozens of Python processes: with the bytecode cache (which an environment may turn
# off with PYTHONDONTWRITEBYTECODE) each module is compiled once, not in every process.
test pytest lint typecheck build validate bench: export PYTHONDONTWRITEBYTECODE :=
test: ## Install what is needed, then lint, type-check and run every test
	@$(MAKE) --no-print-directory -j3 --output-sync=line install
	@mkdir -p $(dir $(CHECKS_LOG))
	@echo "Lint and the type check run beside the tests; their output comes after the tests' ($(CHECKS_LOG))."
	@$(MAKE) --no-print-directory -j2 --output-sync=target CHECK_PRIORITY="nice -n 10" typecheck lint \
		> $(CHECKS_LOG) 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory pytest; tests=$$?; \
	wait $$checks; checked=$$?; cat $(CHECKS_LOG); \
	test $$checked -eq 0 || echo "make test: lint or the type check failed (above)" >&2; \
	exit $$(( tests || checked ))

pytest: $(VENV)/.installed $(SAM_VENV)/.installed $(VENV)/.compiled ## Run every test (PYTEST_WORKERS processes; PYTEST_WORKERS=1 for one)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# The workers start at once, and in a new environment each would compile every module it imports, as
# none has written them yet: one collection compiles them first, once per install.
$(VENV)/.compiled: $(VENV)/.installed
	@echo "Compiling what the tests import (pytest --collect-only) ..."
	@$(PY) -m pytest --collect-only -q -p no:cacheprovider > /dev/null
	@touch $@

lint: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## ruff (lint + format check), cfn-lint with the serverless rules, checkov, the import layering
	$(CHECK_PRIORITY) $(VENV)/bin/ruff check .
	$(CHECK_PRIORITY) $(VENV)/bin/ruff format --check .
	$(CHECK_PRIORITY) $(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	CKV_PARSE_ERROR_FAIL=true CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECK_PRIORITY) $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml
	PYTHONPATH=layers/shared:functions:. $(CHECK_PRIORITY) $(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed ## Format the code and fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy with the pydantic plugin
	$(CHECK_PRIORITY) $(VENV)/bin/mypy

build: $(SAM_VENV)/.installed ## sam build (python3.13 comes from the project's virtual environment)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam build

validate: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM_VENV)/bin/sam validate --lint

# The local stack while it runs (it writes .local/dev.json, and removes it when it stops); AWS=1 (or no
# local stack) talks to AWS: CONFIG_TABLE and API_URL from the stack's outputs, the usual credentials.
org: $(VENV)/.installed ## Create an organization: make org NAME=<name> [AWS=1] (the local stack when it runs, else AWS)
	@test -n "$(NAME)" || { echo "usage: make org NAME=<name> [AWS=1]" >&2; exit 2; }
	@PYTHONPATH=layers/shared:. $(PY) -m admin create-org --name "$(NAME)" \
		$(if $(and $(wildcard .local/dev.json),$(filter-out 1,$(AWS))),--local .local/dev.json)

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
