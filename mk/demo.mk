# Offline speech and language models for `make demo` (include from the Makefile after VENV/BIN/STAMP).
# `make demo-deps` installs them into $(VENV) once; the stamp makes later runs a no-op.
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: demo-deps

demo-deps: $(DEMO_STAMP)

$(DEMO_STAMP): $(STAMP) requirements-demo.txt requirements-demo-nodeps.txt scripts/install_demo_deps.sh
	@VENV=$(VENV) bash scripts/install_demo_deps.sh
	@touch $(DEMO_STAMP)
