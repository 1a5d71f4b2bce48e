# rigbench — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Lint needs the project and its lint tools only, not llama.cpp: its own stamp.
LINT_STAMP := $(VENV)/.lint-$(shell cat pyproject.toml scripts/deps.py | cksum | cut -d' ' -f1)
# llama-cpp-python compiles llama.cpp (~9 min on 2 cores): its wheel is built once per
# CMAKE_ARGS (e.g. CMAKE_ARGS="-DGGML_CUDA=on" for a CUDA build) and kept outside .venv.
LLAMA_CPP_PYTHON := 0.3.36
# On an x86 host with AMX, llama.cpp's AMX matmuls can fault (bench/run/_cpuflags.py says where
# and why): the wheel is then built with the host's extensions named one by one and AMX left
# out, as `bench engines build` builds llama-bench; a CMAKE_ARGS given (a GPU build) comes after
# them, so its switches win. Elsewhere the script prints nothing and CMAKE_ARGS is as given.
CPU_ARGS := $(shell $(PYTHON) bench/run/_cpuflags.py)
override CMAKE_ARGS := $(strip $(CPU_ARGS) $(CMAKE_ARGS))
export CMAKE_ARGS
CACHE      := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rigbench
WHEELHOUSE := $(CACHE)/wheelhouse/$(shell printf '%s' "$(CMAKE_ARGS)" | cksum | cut -d' ' -f1)
LLAMA_WHEEL := $(WHEELHOUSE)/.llama-cpp-python-$(LLAMA_CPP_PYTHON)
# The stamp changes when the dependencies or the wheel's CMAKE_ARGS do, so a second `make
# install` is a no-op and a switch back to other CMAKE_ARGS reinstalls their wheel.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)-$(notdir $(WHEELHOUSE))

.PHONY: help install engine chromium test lint format demo bench clean

help: ## Show this help
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) engine ## Create .venv, install rigbench, its test tools and llama-bench (fast when done)

# --no-cache-dir: pip's own wheel cache is keyed by the source archive alone, and would hand a
# wheel built with other CMAKE_ARGS back (seen: the AMX wheel returned for the no-AMX switches).
$(LLAMA_WHEEL):
	@mkdir -p $(WHEELHOUSE)
	@echo "building llama-cpp-python $(LLAMA_CPP_PYTHON) (compiles llama.cpp, ~9 min on 2 cores, once)" >&2
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir \
	  "llama-cpp-python==$(LLAMA_CPP_PYTHON)" -w $(WHEELHOUSE)
	@touch $@

$(STAMP): pyproject.toml $(LLAMA_WHEEL)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  --find-links $(WHEELHOUSE) "llama-cpp-python==$(LLAMA_CPP_PYTHON)" -e '.[test]'
	@# this CMAKE_ARGS's wheel, even over one of the same version built with other switches
	@shopt -s nullglob; whl=($(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_PYTHON)-*.whl); \
	  test $${#whl[@]} -eq 1 || { echo "make install: $${#whl[@]} llama-cpp-python wheels in \
	  $(WHEELHOUSE), expected 1 (a cache shared between machines?); remove that folder and run \
	  make install again" >&2; exit 1; }; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
	  --force-reinstall "$${whl[0]}"
	@rm -f $(VENV)/.installed-*
	@touch $@

$(LINT_STAMP): pyproject.toml scripts/deps.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $$($(BIN)/python scripts/deps.py)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.lint-*
	@touch $@

engine: $(STAMP) ## Build llama-bench and llama-fit-params from source if not built yet (~5 min once)
	@$(BIN)/bench engines build >/dev/null

test: install chromium ## Run the test suite
	$(BIN)/python -m pytest

chromium: ## Install Debian's Chromium for the HTML report tests, when missing
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing chromium (HTML report tests)" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(LINT_STAMP) ## ruff, mypy, and actionlint + zizmor on the workflows (no llama.cpp build needed)
	$(BIN)/ruff format --check probe bench report tests scripts
	$(BIN)/ruff check probe bench report tests scripts
	$(BIN)/mypy
	$(BIN)/mypy scripts/*.py  # the make-bench scripts: run rarely, so type-checked here
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline .github/workflows/

format: $(LINT_STAMP) ## Reformat the code with ruff
	$(BIN)/ruff format probe bench report tests scripts
	$(BIN)/ruff check --fix probe bench report tests scripts

demo: install ## probe -> plan -> sweep -> summary on synthetic models, offline
	bash scripts/demo.sh

bench: install ## Performance goals: probe, engines, synthesis, plan, report, fleet, serving, the headline model (out/bench-*.json)
	@rc=0; for s in probe engines plan predict lomo sweep report fleet fuzz serve headline; do $(BIN)/python scripts/bench_$$s.py || rc=1; done; exit $$rc

clean: ## Remove the virtual environment and outputs
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache *.egg-info
