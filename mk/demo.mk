# Offline speech and language models for `make demo` (include after VENV, STAMP and PYTHON).
#   make demo-deps         install them into $(VENV); a stamp makes later runs a no-op
#   make demo-llama-wheel  only compile + cache llama-cpp-python (needs no venv); as an order-only
#                          prerequisite it runs alongside `make install` under `make -j2`
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: demo-deps demo-llama-wheel

demo-deps: $(DEMO_STAMP)

demo-llama-wheel:
	@PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/install_demo_deps.sh --prebuild

$(DEMO_STAMP): $(STAMP) requirements-demo.txt requirements-demo-nodeps.txt scripts/install_demo_deps.sh \
		scripts/llama_cpp_no_common.cmake | demo-llama-wheel
	@VENV=$(VENV) bash scripts/install_demo_deps.sh
	@touch $(DEMO_STAMP)
